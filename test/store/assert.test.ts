import { describe, expect, it } from 'vitest';
import { AssertionError, assert, assertNever } from '../../src/store/assert.ts';
import { Sim } from '../../src/sim/sim.ts';

describe('assertions', () => {
  it('assert throws an AssertionError with its message, and nothing when the condition holds', () => {
    expect(() => assert(true, 'fine')).not.toThrow();
    expect(() => assert(0, 'count must be positive')).toThrow(new AssertionError('count must be positive'));
  });

  it('assertNever names the value a switch did not handle (bigints included)', () => {
    const unknown = { kind: 'meteor', lease: 1n } as never;
    expect(() => assertNever(unknown, 'fault kind')).toThrow('unhandled fault kind: {"kind":"meteor","lease":"1"}');
  });

  it('the world refuses a fault kind it does not know instead of ignoring it', async () => {
    const sim = new Sim({ seed: 1, msMax: 1000 }).faults([{ atMs: 10, fault: { kind: 'meteor' } as never }]);
    await expect(sim.run()).rejects.toThrow('unhandled fault kind: {"kind":"meteor"}');
  });
});
