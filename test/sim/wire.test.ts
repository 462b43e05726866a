// Message names in the trace: short, telling each kind apart, and keeping the call number the trace's
// readers match on (explore's coverage finds a write's lost answer by "response #<callId>").
import { describe, expect, it } from 'vitest';
import { lockStateCoverage } from '../../src/explore/coverage.ts';
import { NoLeaderError } from '../../src/store/errors.ts';
import { Trace, type TraceEvent } from '../../src/sim/trace.ts';
import { describeWire, type WireMessage } from '../../src/sim/wire.ts';

const from = { process: 'alice', incarnation: 1, connection: 1 };
const to = { incarnation: 1, connection: 1 };

describe('describeWire', () => {
  it('names a call and its answer with the same call number', () => {
    expect(describeWire({ ...from, type: 'unary', callId: 7, method: 'put', request: {} })).toBe('put #7');
    expect(describeWire({ ...to, type: 'unary-ok', callId: 7, response: {} })).toBe('response #7');
    expect(describeWire({ ...to, type: 'unary-error', callId: 7, error: new NoLeaderError() })).toBe('error #7');
  });

  it("a write's dropped answer, as named, is what explore's coverage reads as a lost answer", () => {
    const trace = new Trace();
    const events: TraceEvent[] = [
      { atMs: 1, kind: 'client', process: 'alice', incarnation: 1, event: { kind: 'call', callId: 7, method: 'put', request: {} } },
      {
        atMs: 2,
        kind: 'message-dropped',
        from: 'server',
        to: 'alice',
        message: describeWire({ ...to, type: 'unary-ok', callId: 7, response: {} }),
        reason: 'partition',
      } as TraceEvent,
    ];
    for (const event of events) trace.record(event);
    expect([...lockStateCoverage(trace).keys()]).toEqual(['answer-lost:put']);
  });

  it('tells every kind of message apart', () => {
    const messages: WireMessage[] = [
      { ...from, type: 'unary', callId: 1, method: 'range', request: {} },
      { ...from, type: 'stream-open', streamId: 2, service: 'watch' },
      { ...from, type: 'stream-open', streamId: 2, service: 'keepalive' },
      { ...from, type: 'stream-send', streamId: 2, request: {} },
      { ...from, type: 'stream-close', streamId: 2 },
      { ...from, type: 'disconnect' },
      { ...to, type: 'unary-ok', callId: 1, response: {} },
      { ...to, type: 'unary-error', callId: 1, error: new NoLeaderError() },
      { ...to, type: 'stream-message', streamId: 2, response: {} },
      { ...to, type: 'stream-end', streamId: 2 },
      { ...to, type: 'reset', error: new NoLeaderError() },
      { type: 'resource-write', process: 'alice', incarnation: 1, requestId: 3, fencingToken: 9, value: 'v' },
      { type: 'resource-result', incarnation: 1, requestId: 3, accepted: true },
      { type: 'raft-vote', from: 'm1', term: 2, lastLogIndex: 5, lastLogTerm: 1 },
      { type: 'raft-append', from: 'm1', term: 2, prevIndex: 5, prevTerm: 1, entries: [], commit: 5, readRound: 0 },
    ];
    const names = messages.map(describeWire);
    expect(names.every((name) => name.length > 0 && name.length <= 40)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    // a stream's messages carry its number; a write its token and request number
    expect(names.filter((name) => name.includes('stream 2'))).toHaveLength(6); // two opens, a request, a close, a response, an end
    expect(names).toContain('write token 9 #3');
  });
});
