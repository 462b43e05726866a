/**
 * Benchmarks report tables; bench/index.ts prints them. Speed goals are
 * ratios to a baseline measured in the same process, never absolute times.
 */
export interface BenchTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

export interface BenchOptions {
  /** Smaller sizes, for a smoke run (`npm run bench -- --quick`). */
  quick: boolean;
}

export type BenchModule = { runBench(options: BenchOptions): Promise<BenchTable[]> };

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

export function renderTable(table: BenchTable): string {
  const cells = table.rows.map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)));
  const widths = table.columns.map((column, i) => Math.max(column.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  const out = [`## ${table.title}`, '', line(table.columns), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`];
  for (const row of cells) out.push(line(row));
  for (const note of table.notes ?? []) out.push('', note);
  return `${out.join('\n')}\n`;
}

/** Run `fn` repeatedly for about `targetMs`, returning operations per second (`opsPerCall` ops per call). */
export function opsPerSecond(fn: () => void, opsPerCall: number, targetMs = 300): number {
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < targetMs) {
    fn();
    calls++;
    elapsed = performance.now() - start;
  }
  return (calls * opsPerCall * 1000) / elapsed;
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Operations per second of `subject` and of its `baseline`, measured fairly
 * on a shared machine: both are warmed up first (so the JIT has optimized
 * them), then measured in alternating trials; each result is the median.
 */
export function compareOpsPerSecond(
  subject: () => void,
  baseline: () => void,
  opsPerCall: number,
  { targetMs = 300, trials = 5 }: { targetMs?: number; trials?: number } = {},
): { subject: number; baseline: number } {
  opsPerSecond(subject, opsPerCall, targetMs);
  opsPerSecond(baseline, opsPerCall, targetMs);
  const subjectRuns: number[] = [];
  const baselineRuns: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    subjectRuns.push(opsPerSecond(subject, opsPerCall, targetMs / trials));
    baselineRuns.push(opsPerSecond(baseline, opsPerCall, targetMs / trials));
  }
  return { subject: median(subjectRuns), baseline: median(baselineRuns) };
}
