// The raft log, by the rules of the Raft paper (Ongaro & Ousterhout, §5.3 and §5.4): a follower takes
// a leader's entries after the point where the logs match, drops a conflicting suffix but never a
// committed entry, ignores an old or repeated append without losing what it has, and a vote goes only
// to a candidate whose log is at least as up to date.
import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../../src/sim/cluster/raft-log.ts';
import type { LogEntry } from '../../../src/sim/cluster/raft-messages.ts';

const noop = { kind: 'noop' } as const;
const entries = (...terms: number[]): LogEntry[] => terms.map((term, i) => ({ term, index: i + 1, command: noop }));
const from = (start: number, ...terms: number[]): LogEntry[] => terms.map((term, i) => ({ term, index: start + i, command: noop }));
const termsOf = (log: RaftLog) => log.slice(1, log.lastIndex).map((entry) => entry.term);

function logOf(...terms: number[]): RaftLog {
  const log = new RaftLog();
  log.appendFrom(0, entries(...terms), 0);
  return log;
}

describe('RaftLog', () => {
  it('starts empty at index 0, term 0; the leader appends in its term', () => {
    const log = new RaftLog();
    expect([log.lastIndex, log.lastTerm, log.termAt(0), log.matches(0, 0)]).toEqual([0, 0, 0, true]);
    expect(log.append(3, noop)).toEqual({ term: 3, index: 1, command: noop });
    expect(log.append(3, noop).index).toBe(2);
    expect([log.lastIndex, log.lastTerm, log.matches(2, 3), log.matches(2, 2), log.matches(3, 3)]).toEqual([2, 3, true, false, false]);
    expect(() => log.termAt(3)).toThrow('no log entry 3');
  });

  it("a follower drops a conflicting suffix and takes the leader's entries", () => {
    const log = logOf(1, 1, 2, 2, 2); // entries 3-5 from a leader of term 2 that never committed them
    log.appendFrom(2, from(3, 3, 3), 2); // the term-3 leader's entries 3 and 4
    expect(termsOf(log)).toEqual([1, 1, 3, 3]);
  });

  it('an old or repeated append changes nothing it already has, and does not cut what follows', () => {
    const log = logOf(1, 1, 2, 2);
    log.appendFrom(0, entries(1, 1), 2); // a stale copy of the first two
    log.appendFrom(2, from(3, 2), 2); // entry 3 again
    expect(termsOf(log)).toEqual([1, 1, 2, 2]);
    log.appendFrom(4, [], 2); // a heartbeat
    expect(log.lastIndex).toBe(4);
  });

  it('refuses to overwrite a committed entry, and entries that are not contiguous', () => {
    const log = logOf(1, 1, 2);
    expect(() => log.appendFrom(1, from(2, 3), 2)).toThrow('raft: would overwrite committed entry 2');
    expect(() => log.appendFrom(1, [{ term: 3, index: 3, command: noop }], 0)).toThrow('entries must be contiguous');
    expect(termsOf(log)).toEqual([1, 1, 2]);
  });

  it('up to date: a later last term wins; with the same last term, the longer log (§5.4.1)', () => {
    const log = logOf(1, 2, 2);
    expect(log.isUpToDate(1, 3)).toBe(true); // shorter, later term
    expect(log.isUpToDate(3, 2)).toBe(true); // same
    expect(log.isUpToDate(4, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(9, 1)).toBe(false); // longer, earlier term
  });

  it('slices entries from an index, at most so many', () => {
    const log = logOf(1, 1, 2, 3);
    expect(log.slice(2, 2).map((entry) => entry.index)).toEqual([2, 3]);
    expect(log.slice(4, 10).map((entry) => entry.index)).toEqual([4]);
    expect(log.slice(5, 10)).toEqual([]);
    expect(log.entry(3).term).toBe(2);
  });
});
