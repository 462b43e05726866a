/**
 * src/server/proto-services.ts builds the server's gRPC services without
 * @grpc/proto-loader; they must be the services proto-loader builds: the same
 * methods, paths and stream flags, and codecs that give the same bytes and
 * the same objects.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { loadProtoServices } from '../../src/server/proto-services.ts';

const rpcProto = fileURLToPath(new URL('../../src/server/proto/rpc.proto', import.meta.url));
const healthProto = fileURLToPath(new URL('../../src/server/proto/health.proto', import.meta.url));

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

const cases: [string, string, protoLoader.Options][] = [
  ['rpc.proto', rpcProto, { longs: String, enums: String, defaults: true, oneofs: true }],
  ['health.proto', healthProto, { enums: String, defaults: true }],
];

describe('proto services without proto-loader', () => {
  for (const [label, protoPath, options] of cases) {
    it(`${label}: the services, methods and codecs proto-loader builds`, () => {
      const ours = loadProtoServices(protoPath, options as object);
      const theirs = protoLoaderServices(protoPath, options);
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
      expect(checked).toBeGreaterThan(label === 'rpc.proto' ? 30 : 1);
    });
  }

  it('refuses an array as a message, as proto-loader does', () => {
    const kv = loadProtoServices(rpcProto, {}).get('etcdserverpb.KV')!;
    expect(() => kv['Put']!.requestSerialize([] as unknown as object)).toThrow(/expected object with PutRequest structure, got array/);
  });
});
