// Differential test: the same fast-check-generated request sequences (KV, nested txns with
// compares on every target, compaction, leases with server-chosen, small, negative and huge
// IDs, watches with every option, progress requests, Status) go through raw gRPC to the
// installed etcd 3.4.23 and to leaselab's gRPC server; every answer must agree after
// normalizing only what may differ (differential-model.ts). On a mismatch fast-check shrinks
// the sequence and the failure shows the shortest one it found with both answers.
// 200 sequences per run (one etcd and one leaselab for all, a key prefix per sequence) and
// 4 on fresh servers each (never compacted); LEASELAB_LONG=1 runs 2000 and 40;
// LEASELAB_SEED picks the seed. Skipped without etcd.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startGrpcServer, type GrpcEtcdServer } from '../../src/server/grpc-server.ts';
import { command, type Command, keyOf, leaseOf, normalize, opRequest, revOf, type ServerView } from './differential-model.ts';
import { etcdMissing, type EtcdProcess, fastDataRoot, startEtcd } from './etcd-process.ts';
import { type RawClient, rawClient, type RawKeepAlive, type RawWatch } from './raw-grpc.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(2);
  }
  return true;
}

/** One server as one sequence sees it. */
class Side {
  readonly name: string;
  readonly client: RawClient;
  view!: ServerView;
  watch: RawWatch | undefined;
  keepAlive: RawKeepAlive | undefined;

  constructor(name: string, client: RawClient) {
    this.name = name;
    this.client = client;
  }

  async begin(sequence: number): Promise<void> {
    const prefix = `d${String(sequence).padStart(7, '0')}/`;
    const first = await this.client.unary('KV', 'Range', { key: Buffer.from(prefix) });
    if (!('res' in first)) throw new Error(`${this.name}: cannot read the revision: ${JSON.stringify(first)}`);
    const base = Number((first.res.header as { revision: string }).revision);
    const id = (slot: number) => sequence * 4 + slot;
    this.view = {
      prefix,
      base,
      slots: new Map(),
      names: new Map(),
      unknownLease: '424242',
      explicitIds: (slot, kind) =>
        kind === 'small' ? String(1_000_000 + id(slot)) : kind === 'negative' ? String(-(1_000_000 + id(slot))) : String(2n ** 63n - 1n - BigInt(id(slot))),
    };
    this.watch = undefined;
    this.keepAlive = undefined;
  }

  /** Revoke what the sequence granted and close its streams (not compared). */
  async end(): Promise<void> {
    this.watch?.close();
    this.keepAlive?.close();
    for (const id of this.view.names.keys()) await this.client.unary('Lease', 'LeaseRevoke', { ID: id });
  }

  async run(command: Command): Promise<unknown> {
    const view = this.view;
    switch (command.op) {
      case 'put':
      case 'get':
      case 'del':
      case 'txn': {
        const { method, request } = opRequest(view, command);
        return normalize(view, await this.client.unary('KV', method, request));
      }
      case 'compact':
        return normalize(view, await this.client.unary('KV', 'Compact', { revision: revOf(view, command.rev), physical: command.physical }));
      case 'grant': {
        const id = command.id === 'server' ? '0' : view.explicitIds(command.slot, command.id);
        const answer = await this.client.unary('Lease', 'LeaseGrant', { ID: id, TTL: String(command.ttl) });
        if ('res' in answer) {
          const granted = String(answer.res.ID);
          view.slots.set(command.slot, granted);
          view.names.set(granted, `L${command.slot}${command.id === 'server' ? '' : `-${command.id}`}`);
        }
        return normalize(view, answer);
      }
      case 'revoke':
        return normalize(view, await this.client.unary('Lease', 'LeaseRevoke', { ID: leaseOf(view, command.lease) }));
      case 'keepalive':
        this.keepAlive ??= this.client.keepAlive();
        return normalize(view, await this.keepAlive.once({ ID: leaseOf(view, command.lease) }, 5000));
      case 'ttl': {
        const answer = await this.client.unary('Lease', 'LeaseTimeToLive', { ID: leaseOf(view, command.lease), keys: command.keys });
        const out = normalize(view, answer) as { res?: { TTL?: string; grantedTTL?: string; keys?: string[] } };
        if (out.res !== undefined) {
          const granted = Number(out.res.grantedTTL ?? 0);
          const ttl = Number(out.res.TTL ?? 0);
          // Remaining seconds, truncated, depend on when the call arrived: near the granted TTL is all we compare.
          if (granted > 0 && ttl >= granted - 2 && ttl <= granted) out.res.TTL = 'about granted';
          if (out.res.keys !== undefined) out.res.keys = out.res.keys.map((key) => String(normalize(view, key, 'key'))).sort();
        }
        return out;
      }
      case 'leases': {
        const answer = await this.client.unary('Lease', 'LeaseLeases', {});
        if ('res' in answer) {
          const leases = (answer.res.leases as { ID: string }[] | undefined) ?? [];
          answer.res.leases = leases.filter((lease) => view.names.has(lease.ID));
        }
        return normalize(view, answer);
      }
      case 'status':
        return normalize(view, await this.client.unary('Maintenance', 'Status', {}));
      case 'watch': {
        const watch = (this.watch ??= this.client.watch());
        const created = watch.messages.filter((m) => m.created === true).length;
        watch.send({
          create_request: {
            key: keyOf(view, command.key),
            range_end: command.end.kind === 'one' ? undefined : opRequest(view, { op: 'get', key: command.key, end: command.end }).request.range_end,
            start_revision: revOf(view, command.start),
            prev_kv: command.prevKv,
            filters: command.filters,
            progress_notify: command.progressNotify,
            fragment: command.fragment,
            watch_id: command.watchId,
          },
        });
        if (!(await waitUntil(() => watch.messages.filter((m) => m.created === true).length > created || watch.ended !== undefined, 5000)))
          return { timeout: 'no created answer' };
        // A watch from the past catches up on etcd's 100 ms resync: let it, so a compaction cannot race it.
        const start = command.start;
        if (start !== undefined && !('raw' in start && (start.raw === '0' || BigInt(start.raw) > 2n ** 53n))) await sleep(130);
        return { sent: true, ended: watch.ended };
      }
      case 'cancel': {
        const watch = this.watch;
        if (watch === undefined) return { noStream: true };
        const before = watch.messages.length;
        watch.send({ cancel_request: { watch_id: command.watchId } });
        // An unknown ID gets no answer: wait a little for one.
        await waitUntil(() => watch.messages.length > before, 60);
        return { sent: true };
      }
      case 'progress': {
        const watch = this.watch;
        if (watch === undefined) return { noStream: true };
        const progress = () => watch.messages.filter((m) => m.watch_id === '-1' && m.created !== true).length;
        const before = progress();
        watch.send({ progress_request: {} });
        if (!(await waitUntil(() => progress() > before, 5000))) return { timeout: 'no progress answer' };
        return { sent: true };
      }
    }
  }

  /**
   * The watch stream's messages, normalized: control messages (created,
   * canceled, progress) in order with their headers; events per watch ID in
   * order, without the grouping into responses (etcd's resync timing decides it).
   */
  async watchTranscript(): Promise<unknown> {
    const watch = this.watch;
    if (watch === undefined) return undefined;
    await sleep(130); // the last resync's catch-up
    const control: unknown[] = [];
    const events = new Map<string, unknown[]>();
    for (const raw of watch.messages) {
      const message = normalize(this.view, raw) as {
        watch_id?: string;
        events?: unknown[];
        created?: boolean;
        canceled?: boolean;
        fragment?: boolean;
        header?: unknown;
      };
      const list = message.events ?? [];
      if (list.length > 0 && message.created !== true && message.canceled !== true) {
        const id = message.watch_id ?? '0';
        events.set(id, [...(events.get(id) ?? []), ...list]);
      } else {
        control.push(message);
      }
    }
    return { control, events: Object.fromEntries([...events.entries()].sort(([a], [b]) => a.localeCompare(b))), ended: watch.ended };
  }
}

const missing = etcdMissing();
describe.skipIf(missing !== undefined)(`differential: leaselab vs etcd 3.4.23${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  let etcd: EtcdProcess;
  let server: GrpcEtcdServer;
  let sides: Side[];
  let sequence = 0;
  beforeAll(async () => {
    [etcd, server] = await Promise.all([startEtcd([], fastDataRoot()), startGrpcServer({ port: 0 })]);
    sides = [new Side('etcd', rawClient(etcd.address)), new Side('leaselab', rawClient(server.address))];
  }, 30_000);
  afterAll(async () => {
    for (const side of sides ?? []) side.client.close();
    await Promise.all([etcd?.stop(), server?.close()]);
  });

  const long = process.env.LEASELAB_LONG === '1';
  const seed = process.env.LEASELAB_SEED === undefined ? {} : { seed: Number(process.env.LEASELAB_SEED) };
  it(
    `${long ? 2000 : 200} random request sequences get the same answers from both`,
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (commands) => {
          await compareSequence(sides, sequence++, commands);
        }),
        { numRuns: long ? 2000 : 200, ...seed },
      );
    },
    long ? 3_600_000 : 600_000,
  );

  // What the shared servers cannot show: a store that was never compacted (compaction is global and lasting).
  it(
    `${long ? 40 : 4} sequences on fresh servers get the same answers from both`,
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (commands) => {
          const [freshEtcd, freshServer] = await Promise.all([startEtcd([], fastDataRoot()), startGrpcServer({ port: 0 })]);
          const fresh = [new Side('etcd', rawClient(freshEtcd.address)), new Side('leaselab', rawClient(freshServer.address))];
          try {
            await compareSequence(fresh, 0, commands);
          } finally {
            for (const side of fresh) side.client.close();
            await Promise.all([freshEtcd.stop(), freshServer.close()]);
          }
        }),
        { numRuns: long ? 40 : 4, ...seed },
      );
    },
    long ? 1_800_000 : 120_000,
  );
});

/** Run one sequence on both sides; throws with both answers at the first difference. */
async function compareSequence(sides: Side[], number: number, commands: Command[]): Promise<void> {
  for (const side of sides) await side.begin(number);
  try {
    for (let step = 0; step < commands.length; step++) {
      const answers: unknown[] = [];
      for (const side of sides) answers.push(await side.run(commands[step]!));
      if (JSON.stringify(answers[0]) !== JSON.stringify(answers[1])) {
        throw new Error(`step ${step} ${JSON.stringify(commands[step])}\n  etcd:     ${JSON.stringify(answers[0])}\n  leaselab: ${JSON.stringify(answers[1])}`);
      }
    }
    const transcripts: unknown[] = [];
    for (const side of sides) transcripts.push(await side.watchTranscript());
    if (JSON.stringify(transcripts[0]) !== JSON.stringify(transcripts[1])) {
      throw new Error(`watch messages differ\n  etcd:     ${JSON.stringify(transcripts[0])}\n  leaselab: ${JSON.stringify(transcripts[1])}`);
    }
  } finally {
    for (const side of sides) await side.end();
  }
}
