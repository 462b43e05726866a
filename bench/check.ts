/**
 * Linearizability checking time: generated kv-append histories (10 clients,
 * 100 keys, linearizable by construction) and the shared porcupine histories,
 * with porcupine's own time for c50-ok (about 0.25 s with per-key
 * partitioning, README of shared/histories/kv-append) as the baseline.
 *
 * The generator simulates a sequential store: each client calls, the op takes
 * effect at a random instant inside its call, and outputs come from applying
 * ops in the order of those instants, so call intervals overlap freely.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { checkLinearizability } from '../src/check/linearizability.ts';
import { type KvAppendOperation, kvAppendModel, readKvAppendHistory } from '../src/check/models/kv-append.ts';
import type { BenchOptions, BenchTable } from './table.ts';

/** A linearizable kv-append history of `count` ops over `clients` clients and `keys` keys. */
export function generateKvAppendHistory(count: number, { clients = 10, keys = 100, seed = 'check-bench', unknownRate = 0 } = {}): KvAppendOperation[] {
  const random = seedrandom(seed);
  const nextCallMs = Array.from({ length: clients }, () => random() * 5);
  const pending: { op: KvAppendOperation; effectMs: number }[] = [];
  for (let i = 0; i < count; i++) {
    // the client whose next call comes first
    let client = 0;
    for (let c = 1; c < clients; c++) if (nextCallMs[c]! < nextCallMs[client]!) client = c;
    const invokeMs = nextCallMs[client]!;
    const durationMs = 1 + random() * 20;
    const effectMs = invokeMs + random() * durationMs;
    const returnMs = invokeMs + durationMs;
    nextCallMs[client] = returnMs + random() * 3;
    const roll = random();
    const kind = roll < 0.5 ? 'get' : roll < 0.9 ? 'append' : 'put';
    const key = String(Math.floor(random() * keys));
    const value = kind === 'get' ? '' : `${client}.${i};`;
    // A timed-out call: the client gives up at returnMs; the op took effect or not.
    const unknown = random() < unknownRate;
    const applied = !unknown || random() < 0.5;
    const op: KvAppendOperation = {
      process: client,
      invokeMs,
      returnMs: unknown ? Infinity : returnMs,
      input: { op: kind, key, value },
      outcome: unknown ? 'unknown' : 'ok',
    };
    pending.push({ op, effectMs: applied ? effectMs : Infinity });
  }
  const store = new Map<string, string>();
  for (const { op, effectMs } of [...pending].sort((a, b) => a.effectMs - b.effectMs)) {
    if (effectMs === Infinity) continue;
    const current = store.get(op.input.key) ?? '';
    if (op.outcome === 'ok') op.output = { value: op.input.op === 'get' ? current : '' };
    if (op.input.op !== 'get') store.set(op.input.key, op.input.op === 'put' ? op.input.value : current + op.input.value);
  }
  return pending.map(({ op }) => op);
}

interface Timing {
  firstMs: number;
  result: string;
  partitions: number;
  medianMs: number;
  cpuMs: number;
}

function time(history: KvAppendOperation[], runs: number): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  let result = '';
  let partitions = 0;
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const verdict = checkLinearizability(history, kvAppendModel());
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
    result = verdict.result;
    partitions = verdict.partitions;
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { result, partitions, firstMs: wall[0]!, medianMs: median(wall), cpuMs: median(cpu) };
}

/** The kv-append histories: LEASELAB_HISTORIES, else shared/histories/kv-append in a folder above this checkout, else a porcupine checkout's test_data/kv. */
function kvAppendHistoriesDir(): string | undefined {
  const given = process.env.LEASELAB_HISTORIES;
  if (given !== undefined && given !== '') return given;
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'histories', 'kv-append');
    if (existsSync(join(candidate, 'c10-ok.txt'))) return candidate;
  }
  const porcupine = process.env.LEASELAB_PORCUPINE;
  if (porcupine !== undefined && existsSync(join(porcupine, 'test_data', 'kv', 'c10-ok.txt'))) return join(porcupine, 'test_data', 'kv');
  return undefined;
}

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const rows: (string | number)[][] = [];
  const runs = quick ? 1 : 5;
  const cases: [string, number, number][] = [
    ['generated', 1_000, 0],
    ['generated', 10_000, 0],
    ['generated, 1% unknown', 10_000, 0.01],
  ];
  if (!quick) cases.push(['generated', 100_000, 0], ['generated, 1% unknown', 100_000, 0.01]);
  for (const [label, count, unknownRate] of cases) {
    const history = generateKvAppendHistory(count, { unknownRate });
    const cold = time(history, 1);
    const timing = time(history, count >= 100_000 ? Math.min(runs, 3) : runs);
    rows.push([
      `${label} ${count.toLocaleString('en-US')} ops`,
      String(count),
      String(timing.partitions),
      timing.result,
      cold.firstMs,
      timing.medianMs,
      timing.cpuMs,
      '',
    ]);
  }
  const dir = kvAppendHistoriesDir();
  const notes: string[] = [];
  if (dir === undefined)
    notes.push(
      'kv-append rows skipped: no shared/histories/kv-append above this checkout; set LEASELAB_HISTORIES to the folder of c10-ok.txt … (or LEASELAB_PORCUPINE to a porcupine checkout: its test_data/kv holds the same files)',
    );
  for (const name of dir === undefined ? [] : ['c10-ok', 'c10-bad', 'c50-ok', 'c50-bad']) {
    let operations: KvAppendOperation[];
    try {
      operations = readKvAppendHistory(readFileSync(join(dir!, `${name}.txt`), 'utf8')).operations;
    } catch {
      notes.push(`${name} skipped: not in ${dir}`);
      continue;
    }
    const cold = time(operations, 1);
    const timing = time(operations, runs);
    rows.push([
      name,
      String(operations.length),
      String(timing.partitions),
      timing.result,
      cold.firstMs,
      timing.medianMs,
      timing.cpuMs,
      name === 'c50-ok' ? 250 : '',
    ]);
  }
  return [
    {
      title: 'Linearizability check (kv-append, per-key partitions)',
      columns: ['history', 'ops', 'partitions', 'verdict', 'first run ms', 'ms (median)', 'cpu ms (median)', 'porcupine ms'],
      rows,
      notes: [
        `first run: cold (JIT not warm; the first history pays for it). Median of ${runs} later run(s) (100k: up to 3). Generated histories: 10 clients, 100 keys, 50% get, 40% append, 10% put, seeded.`,
        'porcupine ms: porcupine (Go, partitions checked in parallel) on c50-ok, as quoted in shared/histories/kv-append/README.md (bench/porcupine.ts runs it side by side). Goal: 10k ops under 1 s.',
        ...notes,
      ],
    },
  ];
}
