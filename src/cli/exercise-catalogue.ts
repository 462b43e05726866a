/**
 * The exercises as `leaselab exercise` lists them: name and one line, without
 * loading any exercise's code (they pull in the explorer and fast-check);
 * `load()` imports one when it is explained or judged. Same order as
 * `exercises` in src/exercises/index.ts; test/cli/scenario-catalogue.test.ts
 * checks the two agree.
 */
import type { Exercise } from '../exercises/exercise.ts';

export interface ExerciseCatalogueEntry {
  name: string;
  summary: string;
  /** The exercise itself, loaded on demand. */
  load(): Promise<Exercise>;
}

export const exerciseCatalogue: readonly ExerciseCatalogueEntry[] = [
  {
    name: 'fix-check-then-act',
    summary: 'become the leader only if nobody is: four workers almost at once, exactly one must win',
    load: async () => (await import('../exercises/fix-check-then-act.ts')).fixCheckThenAct,
  },
  {
    name: 'ttl-for-a-pause',
    summary: "pick a lease TTL: a 3 s pause must not lose the lease, a crashed holder's key must go within 10 s",
    load: async () => (await import('../exercises/ttl-for-a-pause.ts')).ttlForAPause,
  },
  {
    name: 'fence-the-pause',
    summary: 'write a lock algorithm whose stale holders cannot overwrite the storage, however long they pause',
    load: async () => (await import('../exercises/fence-the-pause.ts')).fenceThePause,
  },
];

/** A catalogue entry by name, or undefined. */
export function findExerciseEntry(name: string): ExerciseCatalogueEntry | undefined {
  return exerciseCatalogue.find((entry) => entry.name === name);
}
