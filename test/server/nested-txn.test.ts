/**
 * Deeply nested txns, answered as the real etcd 3.4 answers them: accepted
 * up to the ops budget (128 levels with one op each, 129 when the innermost
 * is empty), refused beyond with "too many operations in txn request", and
 * never applied-then-failed (protobufjs' default nesting limit used to make
 * leaselab apply a 49-deep txn, then fail to encode its answer).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { etcdMissing, type EtcdProcess, startEtcd } from './etcd-process.ts';

const protoPath = fileURLToPath(new URL('../../src/server/proto/rpc.proto', import.meta.url));
const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const KV = (grpc.loadPackageDefinition(definition)['etcdserverpb'] as grpc.GrpcObject)['KV'] as grpc.ServiceClientConstructor;

/** A protobuf length-delimited field. */
function field(number: number, bytes: Buffer): Buffer {
  const header: number[] = [(number << 3) | 2];
  for (let n = bytes.length; ; n >>>= 7) {
    if (n < 0x80) {
      header.push(n);
      break;
    }
    header.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from(header), bytes]);
}

/**
 * A TxnRequest `depth` levels deep, encoded by hand (protobufjs would refuse
 * to encode the deepest): each level's success holds the next; the innermost
 * puts `key` (or is empty).
 */
function nested(depth: number, key: string, emptyInnermost: boolean): Buffer {
  // PutRequest{key=1, value=2} in RequestOp.request_put (2), in TxnRequest.success (2).
  let txn = emptyInnermost ? Buffer.alloc(0) : field(2, field(2, Buffer.concat([field(1, Buffer.from(key)), field(2, Buffer.from('v'))])));
  // TxnRequest in RequestOp.request_txn (4), in TxnRequest.success (2).
  for (let level = 1; level < depth; level++) txn = field(2, field(4, txn));
  return txn;
}

/** How deep the answer's nested txn responses go. */
function answerDepth(response: { responses?: { response_txn?: unknown }[] }): number {
  let depth = 1;
  let at = response;
  while (at.responses?.[0]?.response_txn !== undefined && at.responses[0].response_txn !== null) {
    at = at.responses[0].response_txn as typeof response;
    depth++;
  }
  return depth;
}

interface Answer {
  answer: string;
  stored: boolean;
}

async function ask(address: string, depth: number, emptyInnermost: boolean): Promise<Answer> {
  const client = new KV(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 }) as unknown as grpc.Client & {
    Range(request: { key: Buffer }, callback: (error: grpc.ServiceError | null, response: { kvs: unknown[] }) => void): void;
  };
  try {
    const key = `depth-${depth}-${emptyInnermost}`;
    const decodeAnswer = KV.service['Txn']!.responseDeserialize as (bytes: Buffer) => { responses: { response_txn?: unknown }[] };
    const answer = await new Promise<string>((resolve) =>
      client.makeUnaryRequest(
        '/etcdserverpb.KV/Txn',
        (bytes: Buffer) => bytes,
        decodeAnswer,
        nested(depth, key, emptyInnermost),
        (error, response) => resolve(error ? `error ${grpc.status[error.code]}: ${error.details}` : `ok, answer nested ${answerDepth(response!)} deep`),
      ),
    );
    const stored = await new Promise<boolean>((resolve, reject) =>
      client.Range({ key: Buffer.from(key) }, (error, response) => (error !== null ? reject(error) : resolve(response.kvs.length === 1))),
    );
    return { answer, stored };
  } finally {
    client.close();
  }
}

const depths = [1, 48, 49, 50, 100, 127, 128, 129, 130, 1000, 1001, 3000];
const missing = await etcdMissing();

describe('nested txns', () => {
  let server: GrpcEtcdServer;
  beforeAll(async () => {
    server = await startGrpcServer({
      port: 0,
      onInternalError: (error) => {
        throw error;
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('are answered normally up to the ops budget, refused beyond, never applied and then failed', async () => {
    for (const depth of depths) {
      const { answer, stored } = await ask(server.address, depth, false);
      if (depth <= 128) expect({ depth, answer, stored }).toEqual({ depth, answer: `ok, answer nested ${depth} deep`, stored: true });
      else
        expect({ depth, answer, stored }).toEqual({ depth, answer: 'error INVALID_ARGUMENT: etcdserver: too many operations in txn request', stored: false });
    }
  });

  describe.skipIf(missing !== undefined)(`against the real etcd 3.4${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
    let etcd: EtcdProcess;
    beforeAll(async () => {
      etcd = await startEtcd();
    }, 30_000);
    afterAll(async () => {
      await etcd?.stop();
    });

    it('answer and stored key match etcd at every depth, innermost txn put or empty', async () => {
      for (const emptyInnermost of [false, true]) {
        for (const depth of emptyInnermost ? [128, 129, 130, 131] : depths) {
          const fromEtcd = await ask(etcd.address, depth, emptyInnermost);
          const fromLeaselab = await ask(server.address, depth, emptyInnermost);
          expect({ depth, emptyInnermost, ...fromLeaselab }).toEqual({ depth, emptyInnermost, ...fromEtcd });
        }
      }
    }, 30_000);
  });
});
