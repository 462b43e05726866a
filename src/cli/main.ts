/**
 * The leaselab command: `leaselab <command> [args]`. Each command lives in
 * src/cli/commands/<name>.ts and exports `run(args): Promise<number>` (the
 * exit code); they load lazily so `leaselab list` does not pay for `explore`.
 */
import pc from 'picocolors';
import { useOneRunV8Flags } from './one-run-v8-flags.ts';

interface CommandEntry {
  summary: string;
  load: () => Promise<{ run(args: string[]): Promise<number> }>;
  /** The command does one simulation and exits: V8 set for a cold run (src/cli/one-run-v8-flags.ts). */
  oneRun?: true;
}

const commands: Record<string, CommandEntry> = {
  demo: {
    summary: 'the lease stories a learner starts with, then a lock held twice (what `npm run demo` runs)',
    load: () => import('./commands/demo.ts'),
  },
  list: {
    summary: 'name the scenarios, one line each',
    load: () => import('./commands/list.ts'),
  },
  run: {
    summary: 'run a scenario and tell its story: leaselab run <scenario> [--seed N] [--verbose] [--json] [--html out.html]',
    load: () => import('./commands/run.ts'),
    oneRun: true,
  },
  exercise: {
    summary: 'exercises with answers checked in the simulator: leaselab exercise [<name> [--answer my-answer.ts]]',
    load: () => import('./commands/exercise.ts'),
  },
  explore: {
    summary: 'search fault schedules that break a lock, shrink one, print its replay: leaselab explore --lock naive|mutex|mutex-fenced|<module>',
    load: () => import('./commands/explore.ts'),
  },
  'explore-merge': {
    summary: 'combine the reports of explore --shard i/n (one per CI job) into the verdicts of one run: leaselab explore-merge <reports…>',
    load: () => import('./commands/explore-merge.ts'),
  },
  replay: {
    summary: 'rerun one explored case byte for byte: leaselab replay --lock <lock> --schedule <encoded> (or --seed N --path P)',
    load: () => import('./commands/replay.ts'),
  },
  conformance: {
    summary: 'replay etcd conformance traces against a fresh store (or --endpoint host:port): leaselab conformance <files or folders>',
    load: () => import('./commands/conformance.ts'),
  },
  serve: {
    summary: 'serve etcd v3 gRPC (KV, Lease, Watch) for etcd3/etcdctl, on real time with fast-forward: leaselab serve [--port 2379] [--control-port N]',
    load: () => import('./commands/serve.ts'),
  },
  playground: {
    summary: 'the playground in your browser: pick a lock or scenario, inject faults, watch the lock hold or break: leaselab playground [--port N] [--out DIR]',
    load: () => import('./commands/playground.ts'),
  },
  snapshot: {
    summary: 'make a data dir from a snapshot `etcdctl snapshot save` took of serve: leaselab snapshot restore FILE --data-dir DIR (or status FILE)',
    load: () => import('./commands/snapshot.ts'),
  },
  bench: {
    summary: 'the benchmark tables (npm run bench): leaselab bench [--quick] [--only kv,lease,watch,sim,explore,check]',
    load: () => import('./commands/bench.ts'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return `usage: leaselab <command> [args]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** How main runs: `ownProcess` when the process is the command's alone (bin/leaselab.js), so main may set V8 for it. */
export interface MainOptions {
  ownProcess?: boolean;
}

export async function main(argv: string[], { ownProcess = false }: MainOptions = {}): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = commands[name];
  if (entry === undefined) {
    process.stderr.write(`${pc.red(`leaselab: unknown command '${name}'`)}\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  // After the command's modules load (set before, a short scenario took 3-4 ms longer: loading after a flag
  // changed is slower), before it runs; not in a process that goes on to other work (a test calling main).
  if (entry.oneRun && ownProcess) useOneRunV8Flags();
  return command.run(args);
}
