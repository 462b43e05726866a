/**
 * src/server/proto-services.ts builds the server's gRPC services without
 * @grpc/proto-loader; they must be the services proto-loader builds: the same
 * methods, paths and stream flags, and codecs that give the same bytes and
 * the same objects.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProtoRoot, loadProtoServices, protoDescriptorJson, protoDescriptorPath } from '../../src/server/proto-services.ts';

const protoDir = fileURLToPath(new URL('../../src/server/proto/', import.meta.url));
const rpcProto = join(protoDir, 'rpc.proto');
const healthProto = join(protoDir, 'health.proto');

// The protos with their descriptors beside them, as `npm run build` leaves them in dist/.
const builtDir = mkdtempSync(join(tmpdir(), 'leaselab-proto-'));
cpSync(protoDir, builtDir, { recursive: true });
for (const name of readdirSync(builtDir)) {
  if (name.endsWith('.proto')) writeFileSync(protoDescriptorPath(join(builtDir, name)), protoDescriptorJson(join(builtDir, name)));
}
afterAll(() => rmSync(builtDir, { recursive: true, force: true }));

function protoLoaderServices(protoPath: string, options: protoLoader.Options): Map<string, grpc.ServiceDefinition> {
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, ...options });
  const services = new Map<string, grpc.ServiceDefinition>();
  for (const [name, entry] of Object.entries(definition)) {
    if (!('format' in entry)) services.set(name, entry as grpc.ServiceDefinition);
  }
  return services;
}

/** A few messages of each kind, as the server's codec hands them over. */
const samples: Record<string, object[]> = {
  '/etcdserverpb.KV/Range': [{ key: Buffer.from('a'), range_end: Buffer.from('b'), limit: '5', revision: '0', serializable: true }],
  '/etcdserverpb.KV/Txn': [
    {
      compare: [{ result: 'EQUAL', target: 'VERSION', key: Buffer.from('k'), version: '0', target_union: 'version' }],
      success: [{ request_put: { key: Buffer.from('k'), value: Buffer.from('v'), lease: '7587869238461924353' }, request: 'request_put' }],
      failure: [],
    },
  ],
  '/etcdserverpb.Lease/LeaseGrant': [{ TTL: '5', ID: '0' }],
  '/grpc.health.v1.Health/Check': [{ service: '' }, { service: 'etcdserverpb.KV' }],
};

const rpcOptions = { longs: String, enums: String, defaults: true, oneofs: true };
const healthOptions = { enums: String, defaults: true };
/** [label, the .proto ours loads (from its descriptor when one is beside it), the .proto proto-loader parses, options]. */
const cases: [string, string, string, protoLoader.Options][] = [
  ['rpc.proto', rpcProto, rpcProto, rpcOptions],
  ['health.proto', healthProto, healthProto, healthOptions],
  ['rpc.proto from its descriptor', join(builtDir, 'rpc.proto'), rpcProto, rpcOptions],
  ['health.proto from its descriptor', join(builtDir, 'health.proto'), healthProto, healthOptions],
];

describe('proto services without proto-loader', () => {
  for (const [label, protoPath, theirProtoPath, options] of cases) {
    it(`${label}: the services, methods and codecs proto-loader builds`, () => {
      const ours = loadProtoServices(protoPath, options as object);
      const theirs = protoLoaderServices(theirProtoPath, options);
      expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
      let checked = 0;
      for (const [name, service] of theirs) {
        const mine = ours.get(name)!;
        expect(Object.keys(mine)).toEqual(Object.keys(service));
        for (const [methodName, method] of Object.entries(service)) {
          const own = mine[methodName]!;
          expect({ path: own.path, requestStream: own.requestStream, responseStream: own.responseStream }).toEqual({
            path: method.path,
            requestStream: method.requestStream,
            responseStream: method.responseStream,
          });
          for (const request of samples[method.path] ?? [{}]) {
            const bytes = method.requestSerialize(request);
            expect(own.requestSerialize(request)).toEqual(bytes);
            expect(own.requestDeserialize(bytes)).toEqual(method.requestDeserialize(bytes));
            checked++;
          }
          // An empty response, decoded with defaults, re-encoded.
          const response = method.responseDeserialize(Buffer.alloc(0));
          expect(own.responseDeserialize(Buffer.alloc(0))).toEqual(response);
          expect(own.responseSerialize(response)).toEqual(method.responseSerialize(response));
        }
      }
      expect(checked).toBeGreaterThan(label.startsWith('rpc.proto') ? 30 : 1);
    });
  }

  it('a descriptor loads back to the types of its .proto, field by field', () => {
    expect(existsSync(protoDescriptorPath(rpcProto))).toBe(false);
    const parsed = loadProtoRoot(rpcProto);
    const loaded = loadProtoRoot(join(builtDir, 'rpc.proto'));
    expect(JSON.stringify(loaded.toJSON())).toBe(JSON.stringify(parsed.toJSON()));
    const fieldsOf = (root: typeof parsed, name: string) =>
      root.lookupType(name).fieldsArray.map((field) => ({
        name: field.name,
        id: field.id,
        type: field.resolvedType?.fullName ?? field.type,
        repeated: field.repeated,
        packed: field.packed,
        long: field.long,
        oneof: field.partOf?.name,
        defaultValue: String(field.typeDefault),
      }));
    for (const name of ['etcdserverpb.WatchCreateRequest', 'etcdserverpb.RequestOp', 'etcdserverpb.Compare', 'mvccpb.KeyValue', 'authpb.Role']) {
      expect(fieldsOf(loaded, name)).toEqual(fieldsOf(parsed, name));
    }
  });

  it('refuses an array as a message, as proto-loader does', () => {
    const kv = loadProtoServices(rpcProto, {}).get('etcdserverpb.KV')!;
    expect(() => kv['Put']!.requestSerialize([] as unknown as object)).toThrow(/expected object with PutRequest structure, got array/);
  });
});
