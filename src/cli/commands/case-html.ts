/**
 * `--html FILE` for `explore` and `replay`: the explored case as a timeline
 * page, with the violation as its verdict and its fault schedule as the story.
 */
import { writeFileSync } from 'node:fs';
import { describeFault } from '../../sim/faults.ts';
import type { JudgedRun, ReplayCase } from '../../explore/property.ts';
import { replayLine } from '../../explore/property.ts';
import { renderHtmlTimeline } from '../../report/html-timeline.ts';

/** Write the page for a judged case to `path`. */
export function writeCaseHtml(path: string, judged: JudgedRun, replay: ReplayCase, lock: string): void {
  const { run, violations } = judged;
  const first = violations.find((violation) => violation.verdict !== 'limitation') ?? violations[0];
  const headline =
    first === undefined
      ? 'no violation'
      : first.verdict === 'limitation'
        ? `${first.property}: known limitation`
        : `${first.property} ${first.verdict === 'unknown' ? 'cannot be judged' : 'violated'}`;
  const schedule = replay.schedule.map((scheduled) => `${(scheduled.atMs / 1000).toFixed(3)} s ${describeFault(scheduled.fault)}`);
  const html = renderHtmlTimeline(run.trace, {
    title: `explore ${run.algorithm}: ${headline}`,
    subtitle: `seed ${run.seed} · ${run.options.clients} clients · ttl ${run.options.ttlSeconds} s · properties ${replay.properties.join(', ')} · ${run.trace.events.length} events`,
    description: [
      schedule.length === 0 ? 'No faults in this case.' : `Fault schedule (${schedule.length} event(s)): ${schedule.join('; ')}.`,
      `Replay: ${replayLine(lock, replay)}`,
    ],
    violations,
  });
  writeFileSync(path, html);
}
