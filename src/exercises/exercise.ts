/**
 * An exercise: a task a learner solves by writing a small module (a lock
 * algorithm, a TTL, a function against the etcd client), and a check that
 * runs the answer in the simulator and judges it with the same machinery the
 * scenarios and the explorer use: claims that hold or not, explorer verdicts.
 *
 *   leaselab exercise                                  the list
 *   leaselab exercise fix-check-then-act               the task, and a module to start from
 *   leaselab exercise fix-check-then-act --answer my.ts    pass or fail, why, and how to replay
 */
import type { StoryAssertion } from '../scenarios/scenario.ts';

export interface Exercise {
  /** Kebab-case, as typed: `fence-the-pause`. */
  name: string;
  title: string;
  /** One line, for the list. */
  summary: string;
  /** What to do and how the answer is judged (a few sentences). */
  task: string;
  /** A module to start from: what it must export, in TypeScript. */
  template: string;
  /** A nudge, shown when an answer fails. */
  hint: string;
  /** Judge an answer (the loaded module). `seed` replays one failing run. @throws AnswerError when the module does not export what the task asks for */
  check(module: Record<string, unknown>, answer: AnswerOptions): Promise<ExerciseVerdict>;
}

export interface AnswerOptions {
  /** The answer's path as given on the command line (for replay lines). */
  path: string;
  /** Only this seed (a replay of a failing run); otherwise the exercise's own set. */
  seed?: number;
}

export interface ExerciseVerdict {
  pass: boolean;
  /** One sentence: why it passed or failed. */
  reason: string;
  /** The claims judged (✓/✗ lines), with their details. */
  claims: StoryAssertion[];
  /** Lines to show under a failure (a timeline excerpt, a violation). */
  evidence?: string;
  /** The command that reruns the failing case. */
  replay?: string;
}

/** The module does not export what the task asks for. */
export class AnswerError extends Error {
  override readonly name = 'AnswerError';
}

/** The export named `name`, or the default export's `name` field, or the default export itself (when `fallbackDefault`). */
export function exported(module: Record<string, unknown>, name: string, fallbackDefault = true): unknown {
  if (module[name] !== undefined) return module[name];
  const fallback = module.default;
  if (typeof fallback === 'object' && fallback !== null && name in fallback) return (fallback as Record<string, unknown>)[name];
  return fallbackDefault ? fallback : undefined;
}
