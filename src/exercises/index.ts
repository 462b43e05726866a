/** The exercises, easiest first (`leaselab exercise`). */
import type { Exercise } from './exercise.ts';
import { fenceThePause } from './fence-the-pause.ts';
import { fixCheckThenAct } from './fix-check-then-act.ts';
import { ttlForAPause } from './ttl-for-a-pause.ts';

export { AnswerError, type AnswerOptions, type Exercise, type ExerciseVerdict } from './exercise.ts';

export const exercises: readonly Exercise[] = [fixCheckThenAct, ttlForAPause, fenceThePause];

/** An exercise by name, or undefined. */
export function findExercise(name: string): Exercise | undefined {
  return exercises.find((exercise) => exercise.name === name);
}
