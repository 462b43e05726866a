/**
 * The gRPC server's limits, in one place, units last in names. The store's
 * own limits (etcd's request sizes, ops, lease and watch limits) live in
 * src/store/limits.ts.
 */
import { txnNestingDepthMax } from '../store/limits.ts';

/**
 * protobuf message nesting the server decodes and encodes at most. Each txn
 * level is two messages (TxnRequest → RequestOp, TxnResponse → ResponseOp),
 * plus a header and a leaf. etcd's Go decoder has no such limit, so ours
 * reaches past the deepest txn the store walks (protobufjs' default, 100,
 * refused 50-deep txns and failed to encode the answer of a 49-deep one).
 */
export const protobufNestingMax = 2 * txnNestingDepthMax + 8;

/**
 * Backpressure on streams (keepalive, watch): once a stream's gRPC write
 * buffer holds this many unsent responses, the server stops reading that
 * stream's requests until the client reads (the buffer drains). A client that
 * never reads then costs the server this many responses plus HTTP/2's
 * flow-control windows, not one response per request it sends.
 */
export const streamResponsesBufferedMax = 16;

/**
 * Watch responses held back per stream while the write they report waits for
 * its fsync (with --data-dir). Past this the stream's watchers fall behind
 * and catch up from history once the write is durable.
 */
export const watchResponsesAwaitingSyncMax = 128;
