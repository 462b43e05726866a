// A cluster member's own errors: etcd 3.4's text and gRPC code, read from the Go sources when they are here.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LeaderChangedError, ProposalDeadlineExceededError } from '../../../src/sim/cluster/cluster-errors.ts';
import { EtcdError, GrpcCode, isEtcdError } from '../../../src/store/errors.ts';

const etcd = '/usr/share/gocode/src/go.etcd.io/etcd';
const grpcServer = '/usr/share/gocode/src/google.golang.org/grpc/server.go';

describe('cluster errors', () => {
  it('are EtcdErrors with their code and text', () => {
    const changed = new LeaderChangedError();
    const deadline = new ProposalDeadlineExceededError();
    for (const error of [changed, deadline]) {
      expect(error).toBeInstanceOf(EtcdError);
      expect(isEtcdError(error)).toBe(true);
    }
    expect([changed.code, changed.message]).toEqual([GrpcCode.UNAVAILABLE, 'etcdserver: leader changed']);
    expect([deadline.code, deadline.message]).toEqual([GrpcCode.UNKNOWN, 'context deadline exceeded']);
  });

  it.skipIf(!existsSync(etcd) || !existsSync(grpcServer))(`match etcd 3.4's (${etcd}) and grpc-go's server (${grpcServer})`, () => {
    // ErrLeaderChanged reaches the client as ErrGRPCLeaderChanged: Unavailable, the same text
    expect(readFileSync(`${etcd}/etcdserver/errors.go`, 'utf8')).toContain('ErrLeaderChanged              = errors.New("etcdserver: leader changed")');
    expect(readFileSync(`${etcd}/etcdserver/api/v3rpc/util.go`, 'utf8')).toContain('etcdserver.ErrLeaderChanged:              rpctypes.ErrGRPCLeaderChanged,');
    expect(readFileSync(`${etcd}/etcdserver/api/v3rpc/rpctypes/error.go`, 'utf8')).toContain(
      'ErrGRPCLeaderChanged              = status.New(codes.Unavailable, "etcdserver: leader changed").Err()',
    );
    // a context's deadline error is handed to grpc-go as is, which answers a non-status error as Unknown with its text
    const util = readFileSync(`${etcd}/etcdserver/api/v3rpc/util.go`, 'utf8');
    expect(util).toContain('if err == context.Canceled || err == context.DeadlineExceeded {\n\t\treturn err\n\t}');
    expect(readFileSync(grpcServer, 'utf8')).toContain('appStatus = status.New(codes.Unknown, appErr.Error())');
  });
});
