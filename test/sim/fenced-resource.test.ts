import { describe, expect, it } from 'vitest';
import { FencedResource } from '../../src/sim/fenced-resource.ts';

const attempt = (fencingToken: number, process = 'alice') => ({ atMs: 0, process, incarnation: 1, fencingToken, value: `v${fencingToken}` });

describe('FencedResource', () => {
  it('accepts a token at least the highest accepted, rejects a lower one, records every attempt', () => {
    const storage = new FencedResource('storage');
    expect(storage.write(attempt(5)).accepted).toBe(true);
    expect(storage.write(attempt(9, 'bob')).accepted).toBe(true);
    expect(storage.write(attempt(9, 'bob')).accepted).toBe(true);
    const stale = storage.write(attempt(5));
    expect(stale).toMatchObject({ accepted: false, highestTokenBefore: 9 });
    expect(storage.highestToken).toBe(9);
    expect(storage.value).toBe('v9');
    expect(storage.attempts.map((a) => a.accepted)).toEqual([true, true, true, false]);
  });

  it('unfenced, accepts everything and still notes the highest token seen before', () => {
    const storage = new FencedResource('storage', { fenced: false });
    storage.write(attempt(9));
    const stale = storage.write(attempt(5));
    expect(stale).toMatchObject({ accepted: true, highestTokenBefore: 9 });
    expect(storage.value).toBe('v5');
  });
});
