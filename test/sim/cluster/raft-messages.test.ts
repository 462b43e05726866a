// Raft messages on the simulated wire: told from client/server messages by their type, named for the trace.
import { describe, expect, it } from 'vitest';
import { describeRaftMessage, isRaftMessage, type RaftMessage } from '../../../src/sim/cluster/raft-messages.ts';

const raft: RaftMessage[] = [
  { type: 'raft-vote', from: 'm1', term: 3, lastLogIndex: 9, lastLogTerm: 2 },
  { type: 'raft-vote-reply', from: 'm2', term: 3, granted: true },
  { type: 'raft-vote-reply', from: 'm3', term: 3, granted: false },
  { type: 'raft-append', from: 'm1', term: 3, prevIndex: 9, prevTerm: 2, entries: [], commit: 9, readRound: 1 },
  {
    type: 'raft-append',
    from: 'm1',
    term: 3,
    prevIndex: 9,
    prevTerm: 2,
    entries: [{ term: 3, index: 10, command: { kind: 'noop' } }],
    commit: 9,
    readRound: 0,
  },
  { type: 'raft-append-reply', from: 'm2', term: 3, success: true, matchIndex: 10, readRound: 0 },
  { type: 'raft-append-reply', from: 'm2', term: 3, success: false, matchIndex: 4, readRound: 0 },
  { type: 'raft-propose', from: 'm2', term: 3, command: { kind: 'noop' } },
  { type: 'raft-read-index', from: 'm2', readId: 4 },
  { type: 'raft-read-index-reply', from: 'm1', readId: 4, index: 10 },
  { type: 'leader-query', from: 'm2', queryId: 6, query: { kind: 'renew', leaseId: 1n } },
  { type: 'leader-query-reply', from: 'm1', queryId: 6, response: {} },
];

describe('raft messages', () => {
  it('are told apart from the client and resource messages by their type', () => {
    for (const message of raft) expect(isRaftMessage(message), message.type).toBe(true);
    for (const type of ['unary', 'unary-ok', 'stream-open', 'reset', 'resource-write', 'raft', 'vote']) expect(isRaftMessage({ type }), type).toBe(false);
  });

  it('each is named apart; an append without entries is a heartbeat; a vote and an append say their term', () => {
    const names = raft.map(describeRaftMessage);
    expect(new Set(names).size).toBe(names.length);
    expect(names[3]).toMatch(/^heartbeat term 3$/);
    expect(names[4]).toMatch(/\b1 entr(y|ies)\b.*term 3/);
    expect(names[1]).toContain('granted');
    expect(names[2]).toContain('refused');
    expect(names[0]).toContain('term 3');
  });
});
