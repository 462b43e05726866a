// etcd's errors: every fixed one carries etcd 3.4's exact text and gRPC code (each checked against
// rpctypes/error.go of the etcd sources here); the codes are gRPC's numbers.
import { existsSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/store/errors.ts';
import { type EtcdError, GrpcCode, isEtcdError } from '../../src/store/errors.ts';

const rpctypes = '/usr/share/gocode/src/go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes/error.go';

/** The fixed error classes: each has its code and text as statics. */
const fixed = Object.entries(errors).filter(
  (entry): entry is [string, { new (): EtcdError; code: GrpcCode; text: string }] => typeof entry[1] === 'function' && 'code' in entry[1] && 'text' in entry[1],
);

/** GrpcCode's key as grpc-go names it: INVALID_ARGUMENT → InvalidArgument. */
const goCodeName = (code: GrpcCode) =>
  Object.entries(GrpcCode)
    .find(([, value]) => value === code)![0]
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase())
    .replace('Cancelled', 'Canceled');

describe('etcd errors', () => {
  it("the codes are gRPC's", () => {
    for (const [name, value] of Object.entries(GrpcCode)) expect(value, name).toBe(grpc.status[name as keyof typeof grpc.status]);
  });

  it('each fixed error is an EtcdError named by its class, with its statics as code and message', () => {
    expect(fixed.length).toBeGreaterThanOrEqual(15);
    for (const [name, ErrorClass] of fixed) {
      const error = new ErrorClass();
      expect(isEtcdError(error), name).toBe(true);
      expect([error.name, error.code, error.message]).toEqual([name, ErrorClass.code, ErrorClass.text]);
    }
    expect(isEtcdError(new Error('etcdserver: no leader'))).toBe(false);
  });

  it.skipIf(!existsSync(rpctypes))(`each is etcd 3.4's, code and text (${rpctypes})`, () => {
    const source = readFileSync(rpctypes, 'utf8');
    for (const [name, ErrorClass] of fixed)
      expect(source, name).toContain(`status.New(codes.${goCodeName(ErrorClass.code)}, ${JSON.stringify(ErrorClass.text)})`);
  });

  const mvccWatcher = '/usr/share/gocode/src/go.etcd.io/etcd/mvcc/watcher.go';
  it.skipIf(!existsSync(mvccWatcher) || !existsSync(rpctypes))(`watch cancel reasons are etcd's texts (${mvccWatcher})`, () => {
    const watcher = readFileSync(mvccWatcher, 'utf8');
    expect(watcher).toContain(`ErrEmptyWatcherRange  = errors.New(${JSON.stringify(errors.WatchCancelReason.emptyRange)})`);
    expect(watcher).toContain(`ErrWatcherDuplicateID = errors.New(${JSON.stringify(errors.WatchCancelReason.duplicateId)})`);
    // a compacted watch is canceled with the compacted error's text
    expect(errors.WatchCancelReason.compacted).toBe(errors.CompactedError.text);
  });

  it('a request that does not decode names its field', () => {
    const error = new errors.InvalidRequestError('range.limit', 'not an integer');
    expect([error.name, error.code, error.message, error.field]).toEqual([
      'InvalidRequestError',
      GrpcCode.INVALID_ARGUMENT,
      'invalid request: range.limit: not an integer',
      'range.limit',
    ]);
  });
});
