/**
 * Reports from a trace: who believed they held which lock when, lease
 * lifetimes and fault windows (what the timelines draw and scenarios
 * assert), a terminal timeline and a self-contained HTML page.
 */
export { faultWindows, leaseLifetimes, lockBeliefs, overlappingBeliefs, traceToJson } from './trace-facts.ts';
export type { BeliefOverlap, FaultWindow, LeaseLifetime, LockBelief, LockBeliefEnd } from './trace-facts.ts';
/**
 * A readable timeline for the terminal.
 * @defaultValue verbose false (keepalives and dropped messages hidden), color by picocolors' detection
 */
export { renderTextTimeline } from './text-timeline.ts';
export type { TextTimelineOptions } from './text-timeline.ts';
/** A self-contained HTML page with an SVG swimlane picture of a run. */
export { renderHtmlTimeline } from './html-timeline.ts';
export type { HtmlTimelineOptions } from './html-timeline.ts';
