/**
 * Errors a cluster member answers that a lone server never does, with etcd
 * 3.4's exact text and gRPC code (etcdserver/errors.go, v3rpc/util.go).
 */
import { EtcdError, GrpcCode } from '../../store/errors.ts';

/** `etcdserver: leader changed` (UNAVAILABLE): a ReadIndex was cut short by a leader change. */
export class LeaderChangedError extends EtcdError {
  constructor() {
    super(GrpcCode.UNAVAILABLE, 'etcdserver: leader changed');
  }
}

/**
 * `context deadline exceeded` (UNKNOWN): a proposal waited for a leader for
 * the whole request timeout (raft takes no proposal while it has no leader;
 * the server hands the client its context's error as is). Checked against a
 * real 3-member etcd 3.4.23 with two members stopped.
 */
export class ProposalDeadlineExceededError extends EtcdError {
  constructor() {
    super(GrpcCode.UNKNOWN, 'context deadline exceeded');
  }
}
