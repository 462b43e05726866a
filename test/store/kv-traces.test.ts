// Hand-check of the KV store against the recorded etcd 3.4 traces (kv-*.json,
// txn-*.json): requests decoded from proto3 JSON minimally, responses encoded
// back and compared after dropping default fields.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EtcdError } from '../../src/store/errors.ts';
import { newStore } from './kv-fixtures.ts';

const dir = '/work/shared/conformance/etcd-3.4';
const traces = readdirSync(dir).filter((name) => /^(kv|txn)-.*\.json$/.test(name));

const bytesFields = new Set(['key', 'range_end', 'value']);
const bigintFields = new Set(['lease']);
const intFields = new Set(['limit', 'revision', 'min_mod_revision', 'max_mod_revision', 'min_create_revision', 'max_create_revision', 'version', 'create_revision', 'mod_revision']);

function decode(value: unknown, field = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => decode(item, field));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v, k)]));
  }
  if (typeof value === 'string' && bytesFields.has(field)) return new Uint8Array(Buffer.from(value, 'base64'));
  if (typeof value === 'string' && bigintFields.has(field)) return BigInt(value);
  if (typeof value === 'string' && intFields.has(field)) return Number(value);
  return value;
}

/** proto3 JSON of a response, defaults dropped. */
function encode(value: unknown): unknown {
  if (value instanceof Uint8Array) return value.length === 0 ? undefined : Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(encode);
  if (typeof value === 'bigint') return value === 0n ? undefined : value.toString();
  if (typeof value === 'number') return value === 0 ? undefined : String(value);
  if (value === false || value === undefined) return undefined;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const e = encode(v);
      if (e !== undefined) out[k] = e;
    }
    return out;
  }
  return value;
}

interface Step {
  rpc?: string;
  req?: unknown;
  res?: unknown;
  err?: { code: number; message: string };
}

describe('recorded etcd 3.4 KV traces', () => {
  for (const name of traces) {
    it(name, () => {
      const trace = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { steps: Step[] };
      const { store } = newStore();
      const call = (rpc: string, req: never): unknown => {
        switch (rpc) {
          case 'kv/put':
            return store.put(req);
          case 'kv/range':
            return store.range(req);
          case 'kv/deleterange':
            return store.deleteRange(req);
          case 'kv/txn':
            return store.txn(req);
          case 'kv/compaction':
            return store.compact(req);
          default:
            throw new Error(`unexpected rpc ${rpc}`);
        }
      };
      trace.steps.forEach((step, i) => {
        if (step.rpc === undefined) return;
        const where = `${name} step ${i} ${step.rpc} ${JSON.stringify(step.req)}`;
        let got: unknown;
        try {
          got = { res: encode(call(step.rpc, decode(step.req) as never)) };
        } catch (error) {
          if (!(error instanceof EtcdError)) throw error;
          got = { err: { code: error.code, message: error.message } };
        }
        expect(got, where).toEqual(step.err !== undefined ? { err: step.err } : { res: step.res });
      });
    });
  }
});
