// The client's own errors: each names itself by its class, carries clientv3's message where clientv3 has
// one (checked against the Go sources under /usr/share/gocode when they are there), and the two
// predicates tell an outcome-unknown failure from a plain one.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CallTimeoutError,
  ClientClosedError,
  ClientError,
  ClientUsageError,
  ElectionNoLeaderError,
  ElectionNotLeaderError,
  isCallTimeoutError,
  isIndeterminateEtcdError,
  LeaseKeepAliveHaltedError,
  MutexLockedError,
  SessionExpiredError,
  StreamEndedError,
} from '../../src/client/errors.ts';

const goSources = '/usr/share/gocode/src';
/** The Go that built the installed etcd (go1.19). */
const goContext = '/usr/lib/go-1.19/src/context/context.go';

describe('client errors', () => {
  it('each is a ClientError named by its class', () => {
    const errors = [
      new CallTimeoutError('put', 5000),
      new ClientClosedError(),
      new StreamEndedError('keepalive'),
      new LeaseKeepAliveHaltedError('client closed'),
      new MutexLockedError(),
      new SessionExpiredError(),
      new ElectionNotLeaderError(),
      new ElectionNoLeaderError(),
      new ClientUsageError('cannot call If twice!'),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(ClientError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(String(new ClientUsageError('cannot call If twice!'))).toBe('ClientUsageError: cannot call If twice!');
  });

  it('a timeout keeps its call and deadline, and its outcome is unknown', () => {
    const timeout = new CallTimeoutError('range', 250);
    expect([timeout.message, timeout.outcome, timeout.method, timeout.timeoutMs]).toEqual(['context deadline exceeded', 'unknown', 'range', 250]);
    expect(new StreamEndedError('watch').message).toBe('watch: stream ended');
  });

  // Each message as the Go code spells it, in the file that defines it (etcd 3.4 and the grpc-go it vendors).
  const goMessages: [Error, string, string][] = [
    [new ClientClosedError(), 'google.golang.org/grpc/clientconn.go', '"grpc: the client connection is closing"'],
    [new ElectionNotLeaderError(), 'go.etcd.io/etcd/clientv3/concurrency/election.go', 'errors.New("election: not leader")'],
    [new ElectionNoLeaderError(), 'go.etcd.io/etcd/clientv3/concurrency/election.go', 'errors.New("election: no leader")'],
  ];
  it.skipIf(!existsSync(`${goSources}/go.etcd.io/etcd`))(`messages are the Go client's (${goSources})`, () => {
    for (const [error, file, spelled] of goMessages) {
      const source = readFileSync(`${goSources}/${file}`, 'utf8');
      expect(source, file).toContain(spelled);
      expect(spelled).toContain(error.message);
    }
    // clientv3/lease.go ErrKeepAliveHalted.Error: the fixed text, then ": " and the reason
    const lease = readFileSync(`${goSources}/go.etcd.io/etcd/clientv3/lease.go`, 'utf8');
    expect(lease).toContain('s := "etcdclient: leases keep alive halted"');
    expect(lease).toContain('s += ": " + e.Reason.Error()');
    expect(new LeaseKeepAliveHaltedError('client closed').message).toBe('etcdclient: leases keep alive halted: client closed');
  });

  it.skipIf(!existsSync(goContext))(`a timeout says what Go's context.DeadlineExceeded says (${goContext})`, () => {
    expect(readFileSync(goContext, 'utf8')).toContain('func (deadlineExceededError) Error() string   { return "context deadline exceeded" }');
    expect(new CallTimeoutError('put', 1).message).toBe('context deadline exceeded');
  });

  it("3.5's mutex errors (not in 3.4's concurrency package) carry 3.5's text", () => {
    // etcd v3.5 clientv3/concurrency/mutex.go: ErrLocked, ErrSessionExpired
    expect(new MutexLockedError().message).toBe('mutex: Locked by another session');
    expect(new SessionExpiredError().message).toBe('mutex: session is expired');
  });
});

describe('isCallTimeoutError', () => {
  it('is true only for a CallTimeoutError, not for one that merely says so', () => {
    expect(isCallTimeoutError(new CallTimeoutError('get', 1))).toBe(true);
    for (const other of [new Error('context deadline exceeded'), new ClientClosedError(), { message: 'context deadline exceeded' }, null, undefined, 'timeout'])
      expect(isCallTimeoutError(other)).toBe(false);
  });
});

describe('isIndeterminateEtcdError', () => {
  it("is true for etcd's request timeouts (etcdserver/errors.go) and a passed deadline, by exact message", () => {
    for (const message of [
      'etcdserver: request timed out',
      'etcdserver: request timed out, possibly due to previous leader failure',
      'etcdserver: request timed out, possibly due to connection lost',
      'context deadline exceeded',
    ])
      expect(isIndeterminateEtcdError({ message }), message).toBe(true);
    for (const message of [
      'etcdserver: requested lease not found',
      'etcdserver: request timed out ',
      'Etcdserver: request timed out',
      'grpc: the client connection is closing',
      '',
    ])
      expect(isIndeterminateEtcdError({ message }), message).toBe(false);
  });
});
