/**
 * `leaselab conformance <trace files or folders>`: replay etcd conformance
 * traces (conformance/README.md) against a fresh store each and show every
 * step that answers differently from the recording, as the paths that differ:
 *
 *   ✗ lease-expiry steps[10] kv/range at 6536 ms
 *       res.header.revision  wanted "3"  got "2"
 *       res.kvs[0]           wanted (absent)  got {"key":"L2Nyb24…","lease":"7"}
 *   ✗ lease-expiry: 13 passed, 1 failed
 *   …
 *   120 passed, 1 failed
 *
 * The last line counts steps. Exit code 1 if any step failed or any trace
 * file is malformed (reported with its name and step; the others still run),
 * 2 for a usage error, 0 otherwise.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import pc from 'picocolors';
import type { Json } from '../../server/json-codec.ts';
import { GrpcTransport } from '../../server/grpc-transport.ts';
import { type Difference, replayTrace, type ReplayOptions, type StepResult, type TraceResult } from '../conformance/replay.ts';
import { replayTraceAgainst } from '../conformance/replay-endpoint.ts';
import { parseTrace, type Trace } from '../conformance/trace.ts';

export interface ConformanceOutput {
  write(text: string): void;
}

export interface ConformanceSummary {
  passed: number;
  failed: number;
  malformed: number;
  traces: TraceResult[];
}

const usage =
  'usage: leaselab conformance [--endpoint host:port] <trace files or folders>\n' +
  '  --endpoint  replay over gRPC against a running etcd or leaselab serve, on real time\n' +
  '              (it is cleared before each trace: every key deleted, every lease revoked)\n';

/** The command. `output` defaults to stdout; `replay` options are for tests. */
export async function run(args: string[], output: ConformanceOutput = process.stdout, replay: ReplayOptions = {}): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    output.write(usage);
    return args.length === 0 ? 2 : 0;
  }
  const at = args.findIndex((arg) => arg === '--endpoint' || arg.startsWith('--endpoint='));
  if (at >= 0) {
    const endpoint = args[at]!.includes('=') ? args[at]!.slice('--endpoint='.length) : args[at + 1];
    const paths = args.filter((_, i) => i !== at && (args[at]!.includes('=') || i !== at + 1));
    if (endpoint === undefined || endpoint === '' || endpoint.startsWith('--') || paths.length === 0) {
      output.write(usage);
      return 2;
    }
    const transport = new GrpcTransport(endpoint);
    try {
      const summary = await runConformanceAgainst(paths, output, transport);
      return summary.failed > 0 || summary.malformed > 0 ? 1 : 0;
    } finally {
      transport.close();
    }
  }
  const summary = runConformance(args, output, replay);
  return summary.failed > 0 || summary.malformed > 0 ? 1 : 0;
}

/** Replay every trace named by `paths` (files, or folders of *.json), printing as it goes. */
export function runConformance(paths: string[], output: ConformanceOutput, replay: ReplayOptions = {}): ConformanceSummary {
  const summary: ConformanceSummary = { passed: 0, failed: 0, malformed: 0, traces: [] };
  for (const trace of readTraces(paths, output, summary)) report(replayTrace(trace, replay), output, summary);
  return finish(output, summary);
}

/** The same, against a running etcd or leaselab serve over gRPC (replay-endpoint.ts). */
export async function runConformanceAgainst(paths: string[], output: ConformanceOutput, transport: GrpcTransport): Promise<ConformanceSummary> {
  const summary: ConformanceSummary = { passed: 0, failed: 0, malformed: 0, traces: [] };
  for (const trace of readTraces(paths, output, summary)) report(await replayTraceAgainst(trace, transport), output, summary);
  return finish(output, summary);
}

function report(result: TraceResult, output: ConformanceOutput, summary: ConformanceSummary): void {
  const write = (line: string) => output.write(`${line}\n`);
  summary.traces.push(result);
  summary.passed += result.passed;
  summary.failed += result.failed;
  for (const step of result.steps) if (!step.ok) write(formatFailure(result.name, step));
  write(
    result.failed === 0
      ? `${pc.green('✓')} ${result.name}: ${result.passed} passed`
      : `${pc.red('✗')} ${result.name}: ${result.passed} passed, ${result.failed} failed`,
  );
}

function finish(output: ConformanceOutput, summary: ConformanceSummary): ConformanceSummary {
  const write = (line: string) => output.write(`${line}\n`);
  if (summary.malformed > 0) write(pc.red(`${summary.malformed} trace file${summary.malformed === 1 ? '' : 's'} malformed or unreadable`));
  write(`${summary.passed} passed, ${summary.failed} failed`);
  return summary;
}

/** The traces named by `paths` that parse; malformed and unreadable ones are reported and counted. */
function readTraces(paths: string[], output: ConformanceOutput, summary: ConformanceSummary): Trace[] {
  const write = (line: string) => output.write(`${line}\n`);
  const traces: Trace[] = [];

  for (const file of traceFiles(paths, (problem) => {
    summary.malformed++;
    write(`${pc.red('✗')} ${problem}`);
  })) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      summary.malformed++;
      write(`${pc.red('✗')} ${file}: cannot read: ${(error as Error).message}`);
      continue;
    }
    const parsed = parseTrace(text, file);
    if (!parsed.ok) {
      summary.malformed++;
      write(`${pc.red('✗')} ${pc.bold(parsed.trace)} (${file}): malformed trace, not run`);
      for (const problem of parsed.problems) {
        write(`    ${problem.stepIndex === undefined ? '' : `steps[${problem.stepIndex}]: `}${problem.message}`);
      }
      continue;
    }
    traces.push(parsed.trace);
  }
  return traces;
}

/** Files named by `paths`, folders expanded to their *.json files in name order. */
function traceFiles(paths: string[], problem: (message: string) => void): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      problem(`${path}: no such file or folder`);
      continue;
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => join(path, name));
    if (found.length === 0) problem(`${path}: no *.json trace files in this folder`);
    files.push(...found);
  }
  return files;
}

/** One failing step: heading, then one line per differing path. */
export function formatFailure(trace: string, step: StepResult): string {
  const lines = [`${pc.red('✗')} ${pc.bold(trace)} steps[${step.index}] ${step.label} ${pc.dim(`at ${step.tMs} ms`)}`];
  if (step.note !== undefined) lines.push(`    ${pc.yellow(step.note)}`);
  const width = Math.min(40, Math.max(0, ...step.differences.map((difference) => difference.path.length)));
  for (const difference of step.differences) lines.push(`    ${formatDifference(difference, width)}`);
  if (step.differences.length === 0 && step.got !== undefined) lines.push(`    got ${formatValue(step.got, '')}`);
  return lines.join('\n');
}

function formatDifference({ path, wanted, got }: Difference, width: number): string {
  return `${path.padEnd(width)}  ${pc.dim('wanted')} ${pc.green(formatValue(wanted, path))}  ${pc.dim('got')} ${pc.red(formatValue(got, path))}`;
}

const bytesFields = /(^|\.)(key|value|range_end|keys\[\d+\])$/;
const valueCharsMax = 160;

/** Compact JSON; base64 keys and values shown with their text when printable. */
function formatValue(value: Json | undefined, path: string): string {
  if (value === undefined) return '(absent)';
  let text = JSON.stringify(value);
  if (text.length > valueCharsMax) text = `${text.slice(0, valueCharsMax - 1)}…`;
  if (typeof value === 'string' && bytesFields.test(path)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    if (/^[\x20-\x7e]*$/.test(decoded)) text += pc.dim(` (${JSON.stringify(decoded)})`);
  }
  return text;
}
