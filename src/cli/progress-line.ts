/**
 * explore's progress on stderr, in three phases: searching (runs out of the
 * budget), shrinking a property's failure (fast-check's shrink runs), and
 * simplifying it (leaselab's own pass). On a terminal it is one line redrawn
 * in place, never wider than the terminal or 80 columns, with a spinner so a
 * long shrink does not look frozen:
 *
 *   explore [██████████░░░░░░░░░░]  412/1000 runs · 1 failed · 8.1s
 *   explore / shrinking fenced: 37 run(s) · 1 failed · 11.4s
 *
 * Elsewhere (a pipe, CI) it writes a plain line now and then:
 *
 *   explore: 100/1000 runs, 0 violation(s), 1.9s
 *   explore: shrinking fenced…
 *   explore: shrank fenced in 37 run(s), 11.4s
 */

export interface ProgressStream {
  write(text: string): void;
  isTTY?: boolean;
  columns?: number;
}

/** The widest a progress line gets, whatever the terminal. */
const lineWidthMax = 80;
/** Redraw at most this often (ms of wall time) on a terminal. */
const redrawEveryMs = 80;

type Phase = { kind: 'search' } | { kind: 'shrink' | 'simplify'; property: string; runs: number };

export class ProgressLine {
  readonly #stream: ProgressStream;
  readonly #total: number;
  readonly #ascii: boolean;
  readonly #startMs = performance.now();
  #runs = 0;
  #failed = 0;
  #phase: Phase = { kind: 'search' };
  #shown = false;
  #lastDrawMs = -Infinity;
  #spin = 0;
  /** Plain mode: the run count last written, so lines come every tenth of the budget. */
  #lastRuns = 0;

  constructor(stream: ProgressStream, total: number, options: { ascii?: boolean } = {}) {
    this.#stream = stream;
    this.#total = total;
    this.#ascii = options.ascii ?? false;
    if (this.#tty) this.#draw(true);
  }

  get #tty(): boolean {
    return this.#stream.isTTY === true;
  }

  /** A search run finished: `runs` so far, `failed` properties so far. */
  update(runs: number, failed: number): void {
    const newlyFailed = failed > this.#failed;
    this.#runs = Math.min(runs, this.#total);
    this.#failed = failed;
    if (this.#tty) return this.#draw(newlyFailed);
    const every = Math.max(1, Math.ceil(this.#total / 10));
    if (runs - this.#lastRuns < every && !newlyFailed) return;
    if (failed > 0 && runs === this.#lastRuns) return;
    this.#lastRuns = runs;
    this.#stream.write(`explore: ${runs}/${this.#total} runs, ${failed} violation(s), ${this.#elapsed()}\n`);
  }

  /** A shrink (fast-check) or simplify (leaselab) run of `property`'s failure finished. */
  step(kind: 'shrink' | 'simplify', property: string): void {
    this.#spin++;
    const phase = this.#phase;
    if (phase.kind === kind && phase.property === property) phase.runs++;
    else {
      this.#endPhase();
      this.#phase = { kind, property, runs: 1 };
      if (!this.#tty) this.#stream.write(`explore: ${kind === 'shrink' ? 'shrinking' : 'simplifying'} ${property}…\n`);
    }
    if (this.#tty) this.#draw(false);
  }

  /** Take the line off the terminal (before other output); the next update draws it again. */
  clear(): void {
    if (!this.#tty || !this.#shown) return;
    this.#stream.write(`\r${' '.repeat(this.#width())}\r`);
    this.#shown = false;
    this.#lastDrawMs = -Infinity;
  }

  stop(): void {
    this.#endPhase();
    this.clear();
  }

  #endPhase(): void {
    const phase = this.#phase;
    if (phase.kind !== 'search' && !this.#tty)
      this.#stream.write(`explore: ${phase.kind === 'shrink' ? 'shrank' : 'simplified'} ${phase.property} in ${phase.runs} run(s), ${this.#elapsed()}\n`);
    this.#phase = { kind: 'search' };
  }

  #elapsed(): string {
    return `${((performance.now() - this.#startMs) / 1000).toFixed(1)}s`;
  }

  #width(): number {
    const columns = this.#stream.columns ?? lineWidthMax;
    return Math.max(20, Math.min(lineWidthMax, columns) - 1); // the last column would wrap on some terminals
  }

  /** The line as it would be drawn now, cut to the width. */
  text(): string {
    const width = this.#width();
    const dot = this.#ascii ? ',' : ' ·';
    const tail = `${dot} ${this.#failed} failed${dot} ${this.#elapsed()}`;
    const phase = this.#phase;
    let line: string;
    if (phase.kind === 'search') {
      const count = `${String(this.#runs).padStart(String(this.#total).length)}/${this.#total} runs`;
      const barWidth = Math.max(0, Math.min(30, width - 'explore [] '.length - count.length - tail.length));
      const filled = this.#total === 0 ? barWidth : Math.round((barWidth * this.#runs) / this.#total);
      const bar = barWidth === 0 ? '' : `[${(this.#ascii ? '#' : '█').repeat(filled)}${(this.#ascii ? '-' : '░').repeat(barWidth - filled)}] `;
      line = `explore ${bar}${count}${tail}`;
    } else {
      const spinner = (this.#ascii ? '|/-\\' : '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏')[this.#spin % (this.#ascii ? 4 : 10)];
      line = `explore ${spinner} ${phase.kind === 'shrink' ? 'shrinking' : 'simplifying'} ${phase.property}: ${phase.runs} run(s)${tail}`;
    }
    return line.length > width ? line.slice(0, width) : line;
  }

  #draw(force: boolean): void {
    const nowMs = performance.now();
    if (!force && nowMs - this.#lastDrawMs < redrawEveryMs) return;
    this.#lastDrawMs = nowMs;
    this.#stream.write(`\r${this.text().padEnd(this.#width())}\r`);
    this.#shown = true;
  }
}
