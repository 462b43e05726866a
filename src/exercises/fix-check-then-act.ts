/**
 * fix-check-then-act: four workers start within 0.1 s of each other and each tries to become
 * the leader by writing its name to /leader if nobody has. Read, then write
 * is check-then-act: two workers both read "nobody" and both write. The fix
 * is one transaction: if the key does not exist (create_revision = 0), put.
 */
import type { Client } from '../client/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import { renderTextTimeline } from '../report/index.ts';
import { claim, logLines } from '../scenarios/scenario.ts';
import { AnswerError, exported, type Exercise, type ExerciseVerdict } from './exercise.ts';

export const leaderKey = '/leader';
const workers = ['alice', 'bob', 'carol', 'dave'];
/** The seeds an answer must pass: different interleavings of the four workers' calls. */
const seedsChecked = 20;

type BecomeLeader = (client: Client, name: string) => Promise<boolean>;

async function runSeed(becomeLeader: BecomeLeader, seed: number): Promise<SimResult<Client>> {
  // 1–30 ms each way: enough spread for the calls to interleave differently from seed to seed.
  const sim = new Sim({ seed, msMax: 30_000, network: { latencyMs: { min: 1, max: 30 } } });
  workers.forEach((name, i) => {
    // Start within ~0.1 s of each other, at times the seed picks (a small hash: no randomness outside the seed).
    const startAtMs = (seed * 37 + i * 53 + seed * i * 11) % 120;
    sim.process(
      name,
      async ({ client, log }) => {
        try {
          const won = await becomeLeader(client, name);
          log(won === true ? 'told: you are the leader' : 'told: someone else leads');
        } catch (error) {
          log(`failed: ${(error as Error).message}`);
        }
        client.close();
      },
      { startAtMs },
    );
  });
  return sim.run();
}

function judge(result: SimResult<Client>, seed: number) {
  const told = workers.map((name) => ({
    name,
    line: logLines(result, name).find((line) => line.message.startsWith('told:') || line.message.startsWith('failed:'))?.message,
  }));
  const winners = told.filter((entry) => entry.line === 'told: you are the leader').map((entry) => entry.name);
  const failed = told.filter((entry) => entry.line === undefined || entry.line.startsWith('failed:'));
  const writes = result.trace
    .ofKind('kv-applied')
    .flatMap((event) => event.changes.filter((change) => change.key === leaderKey).map((change) => ({ atMs: event.atMs, revision: event.revision, change })));
  const puts = writes.filter((write) => write.change.type === 'put');
  const final = writes.at(-1);
  const onServer = final?.change.type === 'put' ? final.change.value : undefined;
  return [
    claim(
      'every worker got an answer',
      failed.length === 0,
      failed.length === 0
        ? `seed ${seed}: ${told.map((entry) => `${entry.name} ${entry.line === 'told: you are the leader' ? 'won' : 'lost'}`).join(', ')}`
        : failed.map((entry) => `${entry.name}: ${entry.line ?? 'no answer'}`).join('; '),
    ),
    claim('exactly one worker was told it leads', winners.length === 1, `told they lead: ${winners.join(', ') || 'nobody'}`),
    claim(
      `${leaderKey} was written once: nobody overwrote another's claim`,
      puts.length === 1 && writes.length === 1,
      puts.map((put) => `rev ${put.revision} ${put.change.value ?? '?'} (version ${put.change.version ?? '?'})`).join(', ') || 'never written',
    ),
    claim(
      `the name in ${leaderKey} is the worker told it leads`,
      winners.length === 1 && onServer === winners[0],
      `${leaderKey} holds ${onServer === undefined ? 'nothing' : JSON.stringify(onServer)}`,
    ),
  ];
}

export const fixCheckThenAct: Exercise = {
  name: 'fix-check-then-act',
  title: 'Fix check-then-act with a transaction',
  summary: 'become the leader only if nobody is: four workers almost at once, exactly one must win',
  task:
    `Write becomeLeader(client, name): it puts name at ${leaderKey} unless another worker already has, and returns whether this worker became the leader. ` +
    'Four workers (alice, bob, carol, dave) call it within about a tenth of a second of each other, over a network with 1–30 ms of latency each way. ' +
    `The check runs ${seedsChecked} seeds (${seedsChecked} interleavings) and requires, in each: every worker gets an answer, exactly one is told it leads, ` +
    `${leaderKey} is written once, and it holds that worker's name. A get followed by a put passes some seeds and fails others: between the get and the put, ` +
    'another worker can do the same. etcd can do the check and the write in one step.',
  template: `import type { Client } from 'leaselab';

// Put name at ${leaderKey} unless another worker already has; true if this worker now leads.
export async function becomeLeader(client: Client, name: string): Promise<boolean> {
  const { kvs } = await client.get('${leaderKey}');
  if (kvs.length > 0) return false;
  await client.put('${leaderKey}', name); // another worker may have put between the get and this put
  return true;
}
`,
  hint:
    "Make the check and the write one request: client.txn().if(compare.createRevision('/leader', '=', 0)).then(op.put('/leader', name)).commit() " +
    '(etcd: Txn with a Compare on CREATE revision 0, as clientv3/concurrency does for its keys); succeeded tells you whether you won.',
  async check(module, answer) {
    const becomeLeader = exported(module, 'becomeLeader');
    if (typeof becomeLeader !== 'function')
      throw new AnswerError('the module exports no function becomeLeader(client, name) (a named export, or a default export with it)');
    const seeds = answer.seed !== undefined ? [answer.seed] : Array.from({ length: seedsChecked }, (_, i) => i + 1);
    let claims: ExerciseVerdict['claims'] = [];
    for (const seed of seeds) {
      const result = await runSeed(becomeLeader as BecomeLeader, seed);
      claims = judge(result, seed);
      const broken = claims.find((judged) => !judged.holds);
      if (broken !== undefined)
        return {
          pass: false,
          reason: `with seed ${seed}, ${broken.claim.replace(/^./, (c) => c.toLowerCase())} did not hold: ${broken.detail}`,
          claims,
          evidence: renderTextTimeline(result.trace, { color: false }),
          replay: `npx leaselab exercise fix-check-then-act --answer ${answer.path} --seed ${seed}`,
        };
    }
    return {
      pass: true,
      reason: seeds.length === 1 ? `seed ${seeds[0]}: exactly one leader, written once` : `all ${seeds.length} seeds: exactly one leader, written once`,
      claims,
    };
  },
};
