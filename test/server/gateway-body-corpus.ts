/**
 * Request bodies for the JSON gateway's unary paths that etcd 3.4.23's
 * grpc-gateway (json.Decoder + golang/protobuf 1.3 jsonpb) answers in Go's own
 * words: syntax errors, values of the wrong JSON type, bad base64, int64s
 * that do not parse, unknown enum names, trailing text, unknown fields and
 * JSON names in both spellings. Each is sent to etcd and to leaselab
 * (test/server/gateway-bodies.test.ts) and must get the same answer.
 *
 * Cases whose answer depends on Go's map order (two members of one oneof
 * set at once) are left out: etcd's own answer to them varies. So is a
 * sort_target number no target has, which crashes etcd.
 */

export interface GatewayBodyCase {
  path: string;
  body: Buffer;
}

/** base64 of 'a' and of 'abc'. */
const a = 'YQ==';

/** Bodies every unary path gets: the decoder's syntax errors and the top-level value's type. */
const anyPath: (string | Buffer)[] = [
  '',
  ' ',
  '\n\t\r ',
  'null',
  ' null ',
  '[]',
  '[1,2]',
  '"str"',
  '1',
  '-1',
  '1.5',
  'true',
  'false',
  '{',
  '{ ',
  '{"',
  '{"key"',
  '{"key":',
  `{"key":"`,
  `{"key":"${a}`,
  `{"key":"${a}"`,
  `{"key":"${a}",`,
  `{"key":"${a}",}`,
  '{,}',
  '{"a":1,,}',
  '}',
  ']',
  '{]',
  '[}',
  '[1,]',
  'x',
  'nul',
  'nulx',
  'tru',
  'trux',
  'fals',
  'NaN',
  'Infinity',
  '-',
  '-x',
  '01',
  '1.',
  '1.x',
  '1e',
  '1e+',
  '1ex',
  '.5',
  '"abc',
  '"\\x"',
  '"\\u12"',
  '"\\u12g4"',
  '"a\tb"',
  "{'key':1}",
  '{key:1}',
  '{"key" 1}',
  '{"key":1 "x":2}',
  '{"key":"YQ==" "x":2}',
  '{} trailing',
  '{}{}',
  '{} {"key":1}',
  '{}x',
  '[] x',
  'null x',
  '1x',
  '"s"x',
  '<html>',
  '&',
  '\\',
  "'",
  '"',
  '\u00e9',
  '\u2028',
  '\ufeff{}',
  '\x00{}',
  '\x0c{}',
  '\x7f',
  Buffer.from([0xff, 0x7b, 0x7d]),
  Buffer.from([0xc3]),
  '{"nope":{"deep":[1,2,{"x":}]}}',
  '{"nope":[1,2,3,{"x":{"y":null}}],"other":"\\u00e9"}',
  '['.repeat(10_001),
  '{"a":'.repeat(10_001),
  `${'['.repeat(9_999)}${']'.repeat(9_999)}`,
];

/** Bytes fields: the JSON types Go's []byte takes or refuses, and base64 as StdEncoding reads it. */
function bytesValues(): string[] {
  return [
    '1',
    'true',
    '{}',
    '[]',
    '[97,98]',
    '[256]',
    '[-1]',
    '[1.5]',
    '["a"]',
    '[null,97]',
    '[[1]]',
    '[{}]',
    'null',
    '""',
    '"notbase64!"',
    '"YQ"',
    '"YQ="',
    '"YQ==="',
    '"Y"',
    '"YQ==YQ=="',
    '"YW Jj"',
    '"YW\\nJj"',
    '"YW\\r\\nJj"',
    '"YQ=\\n="',
    '"YQ==\\n"',
    '"-_8="',
    '"YR=="',
    '"\\u0059Q=="',
    '"YWJjZGVmZ2hp!"',
    '"YWJjZGVmZ2hpamts*"',
    '"YWJjZGVmZ2hpamtsbW5v"',
    '"=YQ="',
    '"Y=Q="',
    '"YWJ="',
    '"YWJjZA"',
    '"\\u00e9"',
  ];
}

/** int64 fields: as numbers and as strings, which jsonpb unquotes without unescaping. */
function int64Values(): string[] {
  return [
    '"abc"',
    '""',
    '"1.5"',
    '1.5',
    '1e3',
    '"1e3"',
    '1E3',
    '-0',
    'true',
    '"true"',
    '{}',
    '[]',
    '"[]"',
    '"{}"',
    '"{"',
    '"-"',
    '"9223372036854775807"',
    '"9223372036854775808"',
    '9223372036854775808',
    '-9223372036854775809',
    '"-9223372036854775808"',
    '123456789012345678901234567890',
    '1e400',
    '" 1"',
    '"1 "',
    '"\\"1\\""',
    '"\\u0031"',
    '"null"',
    '"1 2"',
    '"0x10"',
    '"+1"',
    '"01"',
    '"tru"',
    '"1."',
    'null',
  ];
}

function enumValues(): string[] {
  return ['"BAD"', '"ascend"', '"1"', '3', '-1', '2147483648', '-2147483649', '1.0', '1e0', 'true', 'null', '{}', '[]', '"\\u0041SCEND"', '""'];
}

function boolValues(): string[] {
  return ['"true"', '"false"', '1', '0', '"yes"', 'null', '{}', '[]', 'true'];
}

const withKey = (fields: string) => `{"key":"${a}",${fields}}`;

function rangeBodies(): string[] {
  const bodies: string[] = [];
  for (const value of bytesValues()) bodies.push(`{"key":${value}}`, `{"key":"${a}","range_end":${value}}`);
  for (const value of int64Values()) bodies.push(withKey(`"limit":${value}`));
  for (const value of int64Values().slice(0, 8)) bodies.push(withKey(`"revision":${value}`), withKey(`"min_mod_revision":${value}`));
  for (const value of enumValues()) bodies.push(withKey(`"sort_order":${value}`));
  // An unknown sort_target number that reaches etcd's apply (-1) makes it panic and exit: left out.
  for (const value of enumValues().filter((value) => value !== '-1')) bodies.push(withKey(`"sort_target":${value}`));
  bodies.push(withKey('"sort_order":"DESCEND","sort_target":"MOD"'), withKey('"sortOrder":"BAD"'), withKey('"sort_order":"ASCEND"'));
  for (const value of boolValues()) bodies.push(withKey(`"serializable":${value}`), withKey(`"keys_only":${value}`), withKey(`"count_only":${value}`));
  bodies.push(
    withKey('"nope":"x"'),
    withKey('"nope":{"deep":[1,{"x":"y"}]}'),
    '{"Key":"YQ=="}',
    '{"KEY":"YQ=="}',
    `{"rangeEnd":"!!","key":"${a}"}`,
    `{"key":"${a}","range_end":"!!","rangeEnd":"AA=="}`,
    `{"key":"${a}","range_end":"AA==","rangeEnd":"!!"}`,
    `{"key":"!!","key":"${a}"}`,
    `{"key":"${a}","key":"!!"}`,
    '{"limit":"x","key":1}',
    '{"sort_target":"BAD","sort_order":"BAD"}',
    `{"count_only":"x","keys_only":"y","key":"${a}"}`,
    `{"k\\u0065y":"${a}"}`,
    `{"key":"${a}","limit":1} trailing`,
    `{"key":"${a}"}{"key":1}`,
    `{"key":"${a}"}\n{`,
    `{"key":"${a}","maxCreateRevision":"x"}`,
    `{"key":"${a}","max_create_revision":"1","maxCreateRevision":"x"}`,
  );
  return bodies;
}

function putBodies(): string[] {
  const bodies: string[] = [];
  for (const value of bytesValues().slice(0, 16)) bodies.push(withKey(`"value":${value}`));
  for (const value of int64Values().slice(0, 12)) bodies.push(withKey(`"lease":${value}`));
  for (const value of boolValues()) bodies.push(withKey(`"prev_kv":${value}`), withKey(`"ignore_value":${value}`), withKey(`"ignore_lease":${value}`));
  bodies.push(`{"value":"${a}"}`, withKey('"lease":"123"'), withKey('"lease":-1'), withKey('"prevKv":"x"'), `{"value":"!!","key":1}`);
  return bodies;
}

function deleteRangeBodies(): string[] {
  return [`{"key":"${a}","prev_kv":"x"}`, '{"key":1}', '{"range_end":"!!"}', `{"key":"${a}","range_end":"AA==","prevKv":1}`, '{"prev_kv":true}'];
}

function txnBodies(): string[] {
  const compare = (fields: string) => `{"compare":[{${fields}}]}`;
  return [
    '{"compare":{}}',
    '{"compare":"x"}',
    '{"compare":1}',
    '{"compare":[1]}',
    '{"compare":[[]]}',
    '{"compare":["x"]}',
    '{"compare":[{}]}',
    '{"compare":null}',
    '{"compare":[]}',
    compare('"result":"BAD"'),
    compare('"result":"equal"'),
    compare('"result":7'),
    compare('"target":"BAD"'),
    compare('"target":true'),
    compare(`"key":"${a}","target":"VALUE","value":"!!"`),
    compare(`"key":"${a}","target":"VALUE","value":1`),
    compare(`"key":"${a}","target":"VALUE","value":null`),
    compare(`"key":"${a}","version":"x"`),
    compare(`"key":"${a}","createRevision":"x","target":"CREATE"`),
    compare(`"key":"${a}","mod_revision":1.5,"target":"MOD"`),
    compare(`"key":"${a}","lease":"x","target":"LEASE"`),
    compare(`"key":"${a}","range_end":"!!"`),
    compare('"target_union":1'),
    compare('"targetUnion":{}'),
    compare(`"key":"!!","result":"BAD"`),
    compare(`"key":"${a}","result":"EQUAL","target":"VERSION","version":0`),
    '{"success":{}}',
    '{"success":[1]}',
    '{"success":[{"request_range":1}]}',
    '{"success":[{"request_range":[]}]}',
    '{"success":[{"request_range":{"key":1}}]}',
    '{"success":[{"request_range":{"key":"YQ==","limit":"x"}}]}',
    '{"success":[{"request_put":{"key":"YQ==","lease":"x"}}]}',
    '{"success":[{"request_delete_range":{"prev_kv":1}}]}',
    '{"success":[{"request_txn":{"compare":{}}}]}',
    '{"success":[{"request":{}}]}',
    '{"success":[{}]}',
    '{"success":[{"request_range":null}]}',
    '{"success":[{"requestRange":{"key":"YQ=="}}]}',
    '{"success":[{"requestRange":{"key":"!!"}}]}',
    '{"failure":[{"request_txn":{"success":[{"request_range":{"key":"!!"}}]}}]}',
    '{"failure":[{"request_range":{"key":"YQ==","sort_order":"BAD"}}],"compare":[{"result":"BAD"}]}',
    '{"success":[{"request_range":{"key":"YQ=="}}]} trailing',
    `{"compare":[{"key":"${a}","result":"EQUAL","target":"VALUE","value":"${a}"}],"success":[{"request_range":{"key":"${a}"}}]}`,
    JSON.stringify({ compare: Array.from({ length: 129 }, () => ({ key: a })) }),
    // Nested txns: etcd's ops budget refuses level 130; jsonpb still reads every level first (Go's is
    // quadratic in the depth: 400 levels cost etcd ~0.3 s, 2,000 levels 7 s); 3,334 levels pass Go's
    // 10,000-deep scanner limit.
    nestedTxn(129, '{}'),
    nestedTxn(130, '{}'),
    nestedTxn(400, '{}'),
    nestedTxn(400, `{"success":[{"request_range":{"key":"!!"}}]}`),
    nestedTxn(400, `{"compare":[{"result":"BAD"}]}`),
    nestedTxn(3_334, '{}'),
  ];
}

/** A txn holding a txn … `levels` deep, `innermost` at the bottom. */
function nestedTxn(levels: number, innermost: string): string {
  return `${'{"success":[{"request_txn":'.repeat(levels)}${innermost}${'}]}'.repeat(levels)}`;
}

function compactionBodies(): string[] {
  return [
    '{"revision":"x"}',
    '{"physical":"true"}',
    '{"revision":1}',
    '{"revision":"1","physical":true}',
    '{"revision":-1}',
    '{"revision":99999}',
    '{"revision":1.0}',
    '{"Revision":1}',
  ];
}

function leaseBodies(): { path: string; body: string }[] {
  const cases: { path: string; body: string }[] = [];
  for (const body of [
    '{"TTL":"x"}',
    '{"ttl":5}',
    '{"TTL":5,"ID":"x"}',
    '{"TTL":1.5}',
    '{"TTL":true}',
    '{"ID":1e3}',
    '{"TTL":"5","ID":"-1"}',
    '{"TTL":"5","id":"x"}',
  ])
    cases.push({ path: '/v3/lease/grant', body });
  for (const path of ['/v3/lease/revoke', '/v3/kv/lease/revoke'])
    for (const body of ['{"ID":"x"}', '{"ID":0}', '{"ID":"12"}', '{"id":1}', '{"ID":1.5}', '{"ID":"9223372036854775808"}']) cases.push({ path, body });
  for (const path of ['/v3/lease/timetolive', '/v3/kv/lease/timetolive'])
    for (const body of ['{"ID":"x"}', '{"ID":"1","keys":"true"}', '{"keys":1}', '{"ID":[]}', '{"ID":"1","keys":true}']) cases.push({ path, body });
  for (const path of ['/v3/lease/leases', '/v3/kv/lease/leases']) for (const body of ['{"x":1}', '{"leases":"x"}']) cases.push({ path, body });
  return cases;
}

/** The unary paths of etcd's gateway that take a JSON body (keep-alive and watch stream, so are not here). */
export const gatewayUnaryPaths = [
  '/v3/kv/range',
  '/v3/kv/put',
  '/v3/kv/deleterange',
  '/v3/kv/txn',
  '/v3/kv/compaction',
  '/v3/lease/grant',
  '/v3/lease/revoke',
  '/v3/kv/lease/revoke',
  '/v3/lease/timetolive',
  '/v3/kv/lease/timetolive',
  '/v3/lease/leases',
  '/v3/kv/lease/leases',
];

/** Every case, in a fixed order (writes included: both servers get the same sequence). */
export function gatewayBodyCorpus(): GatewayBodyCase[] {
  const cases: GatewayBodyCase[] = [];
  const add = (path: string, body: string | Buffer) => cases.push({ path, body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body });
  // The lease lists first, while no lease exists: later, leases granted with etcd's minimum TTL expire at moments that differ between the servers.
  const listing = (path: string) => path.endsWith('/leases');
  for (const path of gatewayUnaryPaths.filter(listing)) for (const body of anyPath) add(path, body);
  for (const { path, body } of leaseBodies().filter((lease) => listing(lease.path))) add(path, body);
  for (const path of gatewayUnaryPaths.filter((path) => !listing(path))) for (const body of anyPath) add(path, body);
  for (const body of rangeBodies()) add('/v3/kv/range', body);
  for (const body of putBodies()) add('/v3/kv/put', body);
  for (const body of deleteRangeBodies()) add('/v3/kv/deleterange', body);
  for (const body of txnBodies()) add('/v3/kv/txn', body);
  for (const body of compactionBodies()) add('/v3/kv/compaction', body);
  for (const { path, body } of leaseBodies().filter((lease) => !listing(lease.path))) add(path, body);
  return cases;
}

/**
 * Bodies of the gateway's two request streams that end the answer: any body
 * of a keep-alive (the answer ends with the body), and watch bodies whose
 * first value does not decode (refused at once; a watch that starts stays open).
 */
export function gatewayStreamCorpus(): GatewayBodyCase[] {
  const keepAlive = [
    '',
    'null',
    '[]',
    '"s"',
    '1',
    '{',
    'x',
    '{"ID":"x"}',
    '{"ID":1.5}',
    '{"ID":"1"}{"ID":"x"}',
    '{"ID":"1"} x',
    '{"ID":"1"}{"ID":"1"',
    '{"ID":"1"}[]',
    '{}{}',
    'null null',
    '{"ID":"0"}\n{"ID":"0"}',
  ];
  const watch = [
    '[]',
    '"s"',
    '1',
    '{',
    'x',
    '<',
    '{"create_request":{"key":1}}',
    '{"create_request":{"key":"YQ==","start_revision":"x"}}',
    '{"create_request":{"key":"YQ==","filters":["BAD"]}}',
    '{"create_request":{"key":"YQ==","filters":"NOPUT"}}',
    '{"create_request":{"key":"YQ==","prev_kv":"true"}}',
    '{"cancel_request":{"watch_id":"x"}}',
    '{"progress_request":1}',
    '{"request_union":{}}',
  ];
  return [
    ...keepAlive.map((body) => ({ path: '/v3/lease/keepalive', body: Buffer.from(body) })),
    ...watch.map((body) => ({ path: '/v3/watch', body: Buffer.from(body) })),
  ];
}

/** The maintenance, cluster and auth paths of the gateway (each gets the bodies that fail to decode). */
const routedPaths = [
  '/v3/maintenance/alarm',
  '/v3/maintenance/status',
  '/v3/maintenance/defragment',
  '/v3/maintenance/transfer-leadership',
  '/v3/maintenance/hash',
  '/v3/cluster/member/add',
  '/v3/cluster/member/remove',
  '/v3/cluster/member/update',
  '/v3/cluster/member/list',
  '/v3/cluster/member/promote',
  '/v3/auth/authenticate',
  '/v3/auth/enable',
  '/v3/auth/disable',
  '/v3/auth/user/add',
  '/v3/auth/user/get',
  '/v3/auth/user/list',
  '/v3/auth/user/delete',
  '/v3/auth/user/changepw',
  '/v3/auth/user/grant',
  '/v3/auth/user/revoke',
  '/v3/auth/role/add',
  '/v3/auth/role/get',
  '/v3/auth/role/list',
  '/v3/auth/role/delete',
  '/v3/auth/role/grant',
  '/v3/auth/role/revoke',
];

/**
 * Bodies of the maintenance, cluster and auth paths, typed by etcd's
 * rpc.proto: every path gets bodies that do not decode; the typed ones are
 * wrong in one field or harmless (nothing here may change the cluster: a
 * member really added to etcd would cost it its quorum).
 */
export function gatewayRoutedCorpus(): GatewayBodyCase[] {
  const cases: GatewayBodyCase[] = [];
  const add = (path: string, body: string) => cases.push({ path, body: Buffer.from(body) });
  for (const path of routedPaths) for (const body of ['[]', '"s"', '1', '{', 'x', 'nul', '{"a":}', '<', '{"a":1,}']) add(path, body);
  const typed: [string, string[]][] = [
    [
      '/v3/maintenance/alarm',
      [
        '{"action":"BAD"}',
        '{"action":1.5}',
        '{"action":true}',
        '{"action":"GET","alarm":"x"}',
        '{"memberID":"x"}',
        '{"memberID":-1}',
        '{"memberID":"-0"}',
        '{"action":"GET","memberID":"18446744073709551616"}',
        '{"action":"GET","alarm":"NOSPACE"} tail',
        'null',
      ],
    ],
    ['/v3/maintenance/defragment', ['{"x":1}', 'null', '{} {']],
    ['/v3/maintenance/transfer-leadership', ['{"targetID":"x"}', '{"targetID":[]}']],
    [
      '/v3/auth/authenticate',
      ['{"name":1}', '{"name":"a","password":1}', '{"name":[]}', '{"name":"a","password":"b"}', '{"name":null}', '{"password":"\\u003c"}'],
    ],
    ['/v3/auth/user/get', ['{"name":1}', '{"name":"nobody"}', '{"name":{}}', '{"Name":"x"}']],
    [
      '/v3/auth/user/add',
      ['{"name":"u1","password":"p","options":{"no_password":"x"}}', '{"name":"u2","options":1}', '{"name":"u3","options":{"noPassword":true}}', '{"name":1}'],
    ],
    ['/v3/auth/user/changepw', ['{"name":"u3","password":2}']],
    ['/v3/auth/user/grant', ['{"user":"u3","role":1}', '{"user":"u3","role":"nope"}']],
    ['/v3/auth/role/add', ['{"name":["r"]}', '{"name":"r1"}']],
    [
      '/v3/auth/role/grant',
      [
        '{"name":"r1","perm":{"permType":"BAD"}}',
        '{"name":"r1","perm":{"key":"!!"}}',
        '{"name":"r1","perm":[]}',
        '{"name":"r1","perm":{"permType":"READ","key":"YQ==","range_end":"Yg=="}}',
      ],
    ],
    ['/v3/auth/role/get', ['{"role":"r1"}', '{"role":1}']],
    ['/v3/auth/role/revoke', ['{"role":"r1","key":"!!"}', '{"role":"r1","range_end":1}', '{"role":"r1","key":"YQ==","range_end":"Yg=="}']],
    ['/v3/auth/user/delete', ['{"name":"u3"}', '{"name":true}']],
    ['/v3/cluster/member/remove', ['{"ID":"x"}', '{"ID":-1}', '{"ID":1.5}']],
    ['/v3/cluster/member/update', ['{"ID":"1","peerURLs":"x"}', '{"ID":"1","peerURLs":[1]}']],
    ['/v3/cluster/member/add', ['{"peerURLs":[1]}', '{"peerURLs":"http://x"}', '{"isLearner":"true"}']],
    ['/v3/cluster/member/promote', ['{"ID":"x"}', '{"ID":"1"}']],
  ];
  for (const [path, bodies] of typed) for (const body of bodies) add(path, body);
  return cases;
}
