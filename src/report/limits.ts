/**
 * Limits of the reports: what a timeline page keeps, so a long run stays a
 * page a browser opens at once (a 10-minute, 20-client run is under 1 MB).
 */

/** A call's request (and answer) summary in the timeline page is cut to this many characters. */
export const callSummaryCharsMax = 90;

/** Dropped messages kept in a timeline page (a partition can drop thousands); the rest are counted. */
export const timelineDropsMax = 2000;
