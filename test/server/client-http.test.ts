// The JSON gateway of the client port (src/server/client-http.ts) beside a real etcd 3.4.23, on edge
// cases of the request body: each is sent to both and must get the same status, content type and
// answer (IDs that differ between members masked), malformed values included: their texts are Go's
// json package's (json: cannot unmarshal …) on both (test/server/gateway-bodies.test.ts has many more).
// Skipped, naming the tool, where etcd or etcdctl is missing.
import { beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer } from '../../src/server/grpc-server.ts';
import { cleanupsAfter, startEtcdStoppedWith } from './cleanups.ts';
import { etcdOrEtcdctlMissing } from './etcd-process.ts';

const missing = etcdOrEtcdctlMissing();
if (missing !== undefined) console.warn(`skipping the gateway comparison with etcd: ${missing}`);

const cleanups = cleanupsAfter('all');

async function answer(address: string, path: string, body: string | undefined, method = 'POST') {
  const response = await fetch(`http://${address}${path}`, { method, ...(body === undefined ? {} : { body }) });
  const text = (await response.text()).replace(/"(cluster_id|member_id|ID)":"\d+"/g, '"$1":"N"');
  return { status: response.status, type: response.headers.get('content-type'), text };
}

const a = Buffer.from('a').toString('base64');

describe.skipIf(missing !== undefined)('the JSON gateway beside etcd 3.4.23', () => {
  let ours = '';
  let etcd = '';
  beforeAll(async () => {
    const [server, address] = await Promise.all([startGrpcServer({ port: 0 }), startEtcdStoppedWith(cleanups)]);
    cleanups.push(() => server.close());
    ours = server.address;
    etcd = address;
    for (const address of [ours, etcd]) await answer(address, '/v3/kv/put', JSON.stringify({ key: a, value: a }));
  });

  it('answers well-formed edge cases exactly as etcd does', async () => {
    const cases: [string, string | undefined, string?][] = [
      ['/v3/kv/range', ''], // no body: an empty request, so no key
      ['/v3/kv/range', '{}'],
      ['/v3/kv/put', `{"unknown":1,"key":"${a}"}`], // unknown fields are ignored
      ['/v3/kv/range', `{"key":"${a}","limit":"1"}`], // int64 as a decimal string
      ['/v3/kv/range', `{"key":"${a}","limit":-1}`], // a negative limit is no limit
      ['/v3/kv/range', `{"key":"${a}","sort_order":1}`], // an enum by number
      ['/v3/kv/range', `{"key":"${a}","sort_order":"DESCEND","sort_target":"MOD"}`], // and by name
      ['/v3/kv/range', undefined, 'GET'], // the gateway takes POST only
      ['/v3/kv/nothing', '{}'],
      ['/v3/lease/grant', '{"TTL":"0"}'],
    ];
    for (const [path, body, method] of cases) {
      const [mine, theirs] = [await answer(ours, path, body, method), await answer(etcd, path, body, method)];
      expect({ path, body, ...mine }).toEqual({ path, body, ...theirs });
    }
  });

  it('refuses malformed bodies and values with 400 and INVALID_ARGUMENT (code 3), as etcd does', async () => {
    const bodies = [
      '{',
      '[]',
      '{"key":123}',
      '{"key":"!!not base64"}',
      `{"key":"${a}","revision":"abc"}`,
      `{"key":"${a}","sort_order":"NOPE"}`,
      `{"key":"${a}","keys_only":"true"}`,
      `{"key":"${a}","keys_only":1}`,
    ];
    for (const body of bodies) {
      const [mine, theirs] = await Promise.all([answer(ours, '/v3/kv/range', body), answer(etcd, '/v3/kv/range', body)]);
      expect({ body, ...mine }).toEqual({ body, ...theirs });
      expect({ body, status: mine.status, code: (JSON.parse(mine.text) as { code: number }).code }).toEqual({ body, status: 400, code: 3 });
    }
  });
});
