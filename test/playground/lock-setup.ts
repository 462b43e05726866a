/** A playground lock setup for the tests: seed 1, three clients, 5 s TTL, a 40 s run, with the given faults injected. */
import type { LockSetup } from '../../src/playground/playground-run.ts';

export const lockSetup = (lock: string, injected: LockSetup['injected'] = []): LockSetup => ({
  mode: 'lock',
  lock,
  seed: 1,
  clients: 3,
  ttlSeconds: 5,
  durationMs: 40_000,
  injected,
});
