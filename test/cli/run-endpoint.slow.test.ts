// `leaselab run <scenario> --endpoint`: the lease scenarios' scripts on real time against
// the installed etcd 3.4.23 and against leaselab's gRPC server, each started by the test,
// and their claims judged from what the clients saw. Scenarios that need the simulator
// are refused with the reason. lease-keepalive runs 15 s: with LEASELAB_LONG=1.

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { endpointRefusal, runScenarioOnEndpoint, type EndpointRun } from '../../src/cli/endpoint-run.ts';
import { findScenario, type Knobs, type Scenario } from '../../src/scenarios/index.ts';
import { claim } from '../../src/scenarios/scenario.ts';
import { Sim } from '../../src/sim/index.ts';
import { startGrpcServer, type GrpcEtcdServer } from '../../src/server/grpc-server.ts';
import { etcdMissing, type EtcdProcess, fastDataRoot, freePort, startEtcd } from '../server/etcd-process.ts';
import { cli } from './in-process-cli.ts';

afterEach(() => vi.restoreAllMocks());

/** Scenarios whose keys do not overlap run at once on one server (lease-expiry and lease-keepalive share a key). */
const together: [string, Knobs][] = [
  ['late-keepalive', {}],
  ['lease-expiry', { ttlSeconds: 2 }],
  ['watch-sees-expiry', {}],
];
const long = process.env.LEASELAB_LONG === '1';

/**
 * Which deletes an endpoint run calls expiries: one lease revoked by its client, one whose keys a client deletes,
 * one left to expire, one without keys (expires unseen). Its claims are what the run derived.
 */
const attribution: Scenario = {
  name: 'attribution',
  title: 'which deletes are expiries',
  summary: '',
  story: '',
  defaultSeed: 1,
  build(seed) {
    const sim = new Sim({ seed, msMax: 10_000 });
    sim.process('alice', async ({ client, sleep }) => {
      const revoked = await client.grant(2);
      await client.put('/attr/revoked', 'v', { lease: revoked.ID });
      const deleted = await client.grant(2);
      await client.put('/attr/deleted', 'v', { lease: deleted.ID });
      const expiring = await client.grant(2);
      await client.put('/attr/expiring/a', 'v', { lease: expiring.ID });
      await client.put('/attr/expiring/b', 'v', { lease: expiring.ID });
      await client.grant(2); // no keys
      await client.revoke(revoked.ID);
      await client.delete('/attr/deleted');
      await sleep(3000);
    });
    return sim;
  },
  check(result) {
    const granted = result.trace.ofKind('lease-granted').map((event) => event.leaseId);
    const expired = result.trace.ofKind('lease-expired');
    return [
      claim(
        'only the lease left with keys expired, in one revision',
        expired.length === 1 && expired[0]!.leaseId === granted[2],
        `expired: ${expired.map((event) => `${event.leaseId} rev ${event.revision}`).join(', ')}`,
      ),
    ];
  },
};

function failed(run: EndpointRun): string[] {
  return run.assertions.filter((a) => !a.holds).map((a) => `${run.scenario.name} on ${run.address}: ${a.claim} — ${a.detail}`);
}

describe('run --endpoint: what needs the simulator is refused', () => {
  it('names the faults the client side cannot emulate and the drifting clocks; the lease and lock scenarios can run', async () => {
    expect(endpointRefusal(findScenario('leader-change-extends-lease')!)).toBe(
      'leader-change-extends-lease cannot run on an endpoint: it injects faults only the simulator can do (serverRestart down 200ms at 3.000 s: the client side cannot emulate it)',
    );
    expect(endpointRefusal(findScenario('client-clock-drift')!)).toBe("client-clock-drift cannot run on an endpoint: its processes' clocks drift (alice)");
    for (const name of [
      'lease-expiry',
      'lease-keepalive',
      'watch-sees-expiry',
      'late-keepalive',
      'pause-breaks-lock',
      'crash-releases-lock',
      'partition-expires-lease',
      'delayed-write',
      'fencing-saves-the-day',
      'lock-contention',
      'election-failover',
    ])
      expect(endpointRefusal(findScenario(name)!), name).toBeUndefined();
    const { code, stderr, stdout } = await cli('run', 'leader-change-extends-lease', '--endpoint', '127.0.0.1:1');
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toContain('leader-change-extends-lease cannot run on an endpoint: it injects faults');
  });

  it('--latency is the simulated network: refused on an endpoint', async () => {
    await expect(runScenarioOnEndpoint(findScenario('lease-keepalive')!, '127.0.0.1:1', { knobs: { latencyMs: 50 } })).rejects.toThrow(
      '--latency sets the simulated network',
    );
  });

  it('an endpoint that does not answer: exit 2, saying so', async () => {
    const port = await freePort();
    const { code, stderr } = await cli('run', 'late-keepalive', '--endpoint', `127.0.0.1:${port}`);
    expect(code).toBe(2);
    expect(stderr).toContain(`leaselab run: 127.0.0.1:${port} does not answer: gRPC UNAVAILABLE`);
    expect(stderr).toContain('ECONNREFUSED');
  }, 15_000);
});

const missing = etcdMissing();

describe(`run --endpoint: leaselab serve and etcd 3.4.23 side by side${missing === undefined ? '' : ` (etcd skipped: ${missing})`}`, () => {
  let server: GrpcEtcdServer | undefined;
  let etcd: EtcdProcess | undefined;
  let addresses: string[] = [];
  beforeAll(async () => {
    [server, etcd] = await Promise.all([startGrpcServer({ port: 0 }), missing === undefined ? startEtcd([], fastDataRoot()) : undefined]);
    addresses = [server.address, ...(etcd === undefined ? [] : [etcd.address])];
  }, 30_000);
  afterAll(async () => {
    await Promise.all([server?.close(), etcd?.stop()]);
  });

  it('late-keepalive, lease-expiry --ttl 2 and watch-sees-expiry hold their claims (on serve one goes through the command)', async () => {
    const [command, ...runs] = await Promise.all([
      cli('run', 'late-keepalive', '--endpoint', server!.address, '--ascii'),
      ...together.slice(1).map(([name, knobs]) => runScenarioOnEndpoint(findScenario(name)!, server!.address, { knobs })),
      runScenarioOnEndpoint(attribution, server!.address),
      ...(etcd === undefined ? [] : together.map(([name, knobs]) => runScenarioOnEndpoint(findScenario(name)!, etcd!.address, { knobs }))),
      ...(etcd === undefined ? [] : [runScenarioOnEndpoint(attribution, etcd.address)]),
    ]);
    expect((runs as EndpointRun[]).flatMap(failed)).toEqual([]);
    expect(command.code, command.stdout).toBe(0);
    expect(command.stdout).toContain(`late-keepalive: A keepalive after the deadline, before the sweep  (against ${server!.address} on real time)`);
    expect(command.stdout).toContain('+ the server answered only once the sweep had revoked the lease');
    expect(command.stdout).toMatch(/alice {4}"keepalive answered TTL 0 after \d+ ms"/);
    // What etcd did, as the clients saw it: the late keepalive was answered TTL 0 once the key was gone.
    if (etcd !== undefined)
      expect((runs as EndpointRun[]).find((run) => run.address === etcd!.address && run.scenario.name === 'late-keepalive')?.ok).toBe(true);
  }, 40_000);

  it.runIf(long)(
    'lease-keepalive --ttl 2 holds its claims',
    async () => {
      const runs = await Promise.all(
        addresses.map((address) => runScenarioOnEndpoint(findScenario('lease-keepalive')!, address, { knobs: { ttlSeconds: 2 } })),
      );
      expect(runs.flatMap(failed)).toEqual([]);
    },
    40_000,
  );
});
