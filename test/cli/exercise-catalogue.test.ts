// The exercise catalogue the CLI lists without loading every exercise: each entry loads the exercise of
// its name and says what that exercise says, and every exercise is listed.
import { describe, expect, it } from 'vitest';
import { exerciseCatalogue, findExerciseEntry } from '../../src/cli/exercise-catalogue.ts';
import { exercises } from '../../src/exercises/index.ts';

describe('exerciseCatalogue', () => {
  it('lists every exercise once, in the order of src/exercises, with its own summary', async () => {
    expect(exerciseCatalogue.map((entry) => entry.name)).toEqual(exercises.map((exercise) => exercise.name));
    for (const entry of exerciseCatalogue) {
      const exercise = await entry.load();
      expect(exercise.name).toBe(entry.name);
      expect(exercise.summary).toBe(entry.summary);
    }
  });

  it('finds an entry by its exact name', () => {
    expect(findExerciseEntry('ttl-for-a-pause')?.name).toBe('ttl-for-a-pause');
    for (const other of ['', 'TTL-for-a-pause', 'ttl-for-a-pause ', 'fix']) expect(findExerciseEntry(other), other).toBeUndefined();
  });
});
