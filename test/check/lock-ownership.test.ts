import { describe, expect, it } from 'vitest';
import { checkWritesByOwnership, epochAt, lockOwnership, type LockKeyChange } from '../../src/check/lock-ownership.ts';

const put = (revision: number, key: string, process: string, createRevision = revision): LockKeyChange => ({
  timeMs: revision * 1000,
  revision,
  type: 'put',
  key,
  createRevision,
  lease: BigInt(revision),
  process,
  cause: 'request',
});
const del = (revision: number, key: string, process?: string): LockKeyChange => ({
  timeMs: revision * 1000,
  revision,
  type: 'delete',
  key,
  ...(process !== undefined ? { process, cause: 'request' as const } : { cause: 'lease-expiry' as const }),
});

describe('lock ownership from the server history', () => {
  it('a put-if-absent lock: one epoch per put, ended by expiry or delete', () => {
    const ownership = lockOwnership([put(5, '/lock', 'alice'), del(9, '/lock'), put(10, '/lock', 'bob'), del(12, '/lock', 'bob')]);
    expect(ownership.epochs.map((e) => [e.claim.process, e.fromRevision, e.toRevision])).toEqual([
      ['alice', 5, 9],
      ['bob', 10, 12],
    ]);
    expect(ownership.claims[0]!.end).toEqual({ revision: 9, timeMs: 9000, how: 'expired' });
    expect(ownership.claims[1]!.end).toEqual({ revision: 12, timeMs: 12_000, how: 'deleted', by: 'bob' });
    expect(epochAt(ownership, 9500)).toBeUndefined();
    expect(epochAt(ownership, 11_000)?.claim.process).toBe('bob');
  });

  it('a queue lock: the oldest key under the prefix owns', () => {
    const ownership = lockOwnership([put(5, '/lock/a', 'alice'), put(6, '/lock/b', 'bob'), del(7, '/lock/a', 'alice')]);
    expect(ownership.epochs.map((e) => [e.claim.process, e.fromRevision, e.toRevision])).toEqual([
      ['alice', 5, 7],
      ['bob', 7, undefined],
    ]);
  });

  it('an overwrite (check-then-act) hands ownership to the overwriter and ends the first claim', () => {
    const ownership = lockOwnership([put(5, '/lock', 'alice'), put(6, '/lock', 'bob', 5)]);
    expect(ownership.epochs.map((e) => e.claim.process)).toEqual(['alice', 'bob']);
    expect(ownership.claims[0]!.end).toMatchObject({ how: 'overwritten', by: 'bob' });
  });
});

describe('writes judged by ownership', () => {
  const ownership = lockOwnership([put(5, '/lock', 'alice'), del(9, '/lock'), put(10, '/lock', 'bob')]);

  it('a write from an earlier epoch after one from a later epoch is stale, whatever the tokens', () => {
    const verdict = checkWritesByOwnership(
      ownership,
      [
        { timeMs: 6000, process: 'alice', fencingToken: 1, accepted: true },
        { timeMs: 11_000, process: 'bob', fencingToken: 1, accepted: true },
        { timeMs: 11_500, process: 'alice', fencingToken: 1, accepted: true, acquiredMs: 5500 },
      ],
      { fenced: true },
    );
    expect(verdict.result).toBe('violated');
    expect(verdict.violations).toHaveLength(1);
    expect(verdict.violations[0]).toMatchObject({
      kind: 'stale-write',
      write: { process: 'alice' },
      overtaken: { process: 'bob' },
      claim: { revision: 5 },
      overtakenClaim: { revision: 10 },
    });
  });

  it('an earlier owner writing before its successor writes is fine', () => {
    const verdict = checkWritesByOwnership(
      ownership,
      [
        { timeMs: 10_500, process: 'alice', fencingToken: 5, accepted: true, acquiredMs: 5500 },
        { timeMs: 11_000, process: 'bob', fencingToken: 10, accepted: true },
      ],
      { fenced: true },
    );
    expect(verdict).toEqual({ result: 'ok', violations: [] });
  });

  it('a fence that rejects the owner is reported', () => {
    const verdict = checkWritesByOwnership(
      ownership,
      [
        { timeMs: 6000, process: 'alice', fencingToken: 900, accepted: true },
        { timeMs: 11_000, process: 'bob', fencingToken: 7, accepted: false },
      ],
      { fenced: true },
    );
    expect(verdict.violations[0]).toMatchObject({ kind: 'rejected-owner', write: { process: 'bob' }, highest: { fencingToken: 900 } });
  });

  it('a write from a process that never claimed is unowned; with no claim at all the verdict is unknown', () => {
    expect(
      checkWritesByOwnership(ownership, [{ timeMs: 6000, process: 'carol', fencingToken: undefined, accepted: true }], { fenced: false }).violations[0]!.kind,
    ).toBe('unowned-write');
    const none = checkWritesByOwnership(lockOwnership([]), [{ timeMs: 6000, process: 'carol', fencingToken: undefined, accepted: true }], { fenced: false });
    expect(none.result).toBe('unknown');
    expect(none.reason).toMatch(/cannot be established/);
  });
});
