/**
 * The globals a lock algorithm might reach for — Math.random, Date.now,
 * setTimeout, setInterval (and their clear* twins) — replaced, for the length
 * of one simulated run, by the run's seeded and virtual versions, and counted:
 *
 *   const globals = new SimGlobals(world);
 *   const restore = globals.install();
 *   try { await sim.run(); } finally { restore(); }
 *   globals.used   // { 'Math.random': 12, 'Date.now': 0, setTimeout: 3, setInterval: 0 }
 *
 * Why replace rather than only detect: a lock that calls Math.random() or
 * setTimeout() would otherwise make the run differ on every replay (a real
 * timer fires in real time, long after the virtual run has raced past it),
 * so the counterexample it produced could not be shown again. Replaced:
 *
 * - Math.random  → a seeded stream of the run ('globals/Math.random'): the
 *                  same seed gives the same numbers, in the order drawn;
 * - Date.now     → a fixed epoch (2026-01-01T00:00:00Z) + virtual time: the
 *                  true time, not the process's drifting clock (use the lock
 *                  context's `now` for that);
 * - setTimeout, setInterval → events on the virtual scheduler. They do not
 *                  follow a process's pause or crash (the runtime cannot tell
 *                  which process set them); the context's `sleep` does.
 *
 * Only code of the simulation is served these: while the scheduler yields a
 * macrotask to the host (its timers, I/O, a progress bar), the real globals
 * answer, so host code neither lands on the virtual clock nor changes a run.
 *
 * Each use is counted and named in reports, with the context function to use
 * instead. Not replaced: `new Date()`, performance.now, node:timers imports
 * and crypto randomness: a replay that differs names them as likely causes.
 *
 * This lives in src/explore, not src/sim: src/sim never touches these globals
 * (the tidy test), and only the explorer runs user code it did not write.
 * Installing is careful: the originals are kept, every install returns its
 * own restore (call it in a finally block, so a throw restores too), and
 * installs nest: while several runs are installed (a run inside a run, or two
 * interleaved), the globals serve the most recent one and each run notes
 * that it shared them.
 */
import type { World } from '../sim/world.ts';

/** 2026-01-01T00:00:00Z: Date.now() at virtual time 0 in a simulated run. */
export const simEpochMs = 1_767_225_600_000;

export type GlobalName = 'Math.random' | 'Date.now' | 'setTimeout' | 'setInterval';
export const globalNames: readonly GlobalName[] = ['Math.random', 'Date.now', 'setTimeout', 'setInterval'];

/** What to use instead, from the lock context (src/client/lock-algorithm.ts, LockContext). */
export const globalAlternatives: Readonly<Record<GlobalName, string>> = {
  'Math.random': 'random()',
  'Date.now': 'now()',
  setTimeout: 'sleep(ms)',
  setInterval: 'a loop around sleep(ms)',
};

const real = {
  random: Math.random,
  dateNow: Date.now,
  setTimeout: globalThis.setTimeout,
  setInterval: globalThis.setInterval,
  clearTimeout: globalThis.clearTimeout,
  clearInterval: globalThis.clearInterval,
};

/** A virtual timer's handle: enough of Node's Timeout for code that calls ref/unref/hasRef/refresh. */
class VirtualTimeout {
  readonly id: number;
  cancel: () => void;
  refresh: () => VirtualTimeout;
  constructor(id: number) {
    this.id = id;
    this.cancel = () => undefined;
    this.refresh = () => this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/** Installed runs, most recent last: the globals serve the last one. */
const installed: SimGlobals[] = [];

/**
 * The run whose code is calling, or undefined when the caller is the host
 * (a progress bar's timer, the test runner, a worker pool's I/O): those run
 * only while the scheduler yields a macrotask, and get the real globals, so
 * they neither land on the virtual clock nor change the run.
 */
function top(): SimGlobals | undefined {
  const run = installed[installed.length - 1];
  return run !== undefined && run.simulating ? run : undefined;
}

function cancelVirtual(handle: unknown): boolean {
  if (!(handle instanceof VirtualTimeout)) return false;
  handle.cancel();
  return true;
}

const replacements = {
  random(): number {
    const run = top();
    return run === undefined ? real.random() : run.random();
  },
  dateNow(): number {
    const run = top();
    return run === undefined ? real.dateNow() : run.dateNow();
  },
  setTimeout(fn: unknown, delayMs?: number, ...args: unknown[]): unknown {
    const run = top();
    if (run === undefined || typeof fn !== 'function') return Reflect.apply(real.setTimeout, globalThis, [fn, delayMs, ...args]);
    return run.timer(fn as (...a: unknown[]) => void, delayMs, args, false);
  },
  setInterval(fn: unknown, delayMs?: number, ...args: unknown[]): unknown {
    const run = top();
    if (run === undefined || typeof fn !== 'function') return Reflect.apply(real.setInterval, globalThis, [fn, delayMs, ...args]);
    return run.timer(fn as (...a: unknown[]) => void, delayMs, args, true);
  },
  clearTimeout(handle: unknown): void {
    if (!cancelVirtual(handle)) real.clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  },
  clearInterval(handle: unknown): void {
    if (!cancelVirtual(handle)) real.clearInterval(handle as Parameters<typeof clearInterval>[0]);
  },
};

/** Math.random, Date.now and the timer functions, as one set: the real ones or the replacements. */
type Globals = { random(): number; dateNow(): number } & Record<'setTimeout' | 'setInterval' | 'clearTimeout' | 'clearInterval', unknown>;

/** Put `globals` in place of the real ones (or the real ones back). */
function setGlobals(globals: Globals): void {
  Math.random = globals.random;
  Date.now = globals.dateNow;
  const g = globalThis as unknown as Record<string, unknown>;
  g.setTimeout = globals.setTimeout;
  g.setInterval = globals.setInterval;
  g.clearTimeout = globals.clearTimeout;
  g.clearInterval = globals.clearInterval;
}

export class SimGlobals {
  /** How often user code called each global during the run. */
  readonly used: Record<GlobalName, number> = { 'Math.random': 0, 'Date.now': 0, setTimeout: 0, setInterval: 0 };
  /** Another run had the globals installed at the same time (their uses may have been served by the other run). */
  shared = false;
  readonly #world: World<unknown>;
  #stream: { next(): number } | undefined;
  #nextTimerId = 0;

  constructor(world: World<unknown>) {
    this.#world = world;
  }

  /** Replace the globals until the returned function is called (call it in a finally block). */
  install(): () => void {
    if (installed.length === 0) setGlobals(replacements);
    else {
      this.shared = true;
      for (const other of installed) other.shared = true;
    }
    installed.push(this);
    let restored = false;
    return () => {
      if (restored) return;
      restored = true;
      const index = installed.lastIndexOf(this);
      if (index >= 0) installed.splice(index, 1);
      if (installed.length === 0) setGlobals(real);
    };
  }

  /** Whether the run's scheduler is executing simulation code now (not yielding to the host). */
  get simulating(): boolean {
    return this.#world.scheduler.simulating;
  }

  /** Whether any global was used. */
  get anyUsed(): boolean {
    return globalNames.some((name) => this.used[name] > 0);
  }

  /** `Math.random ×12 (use random()), setTimeout ×3 (use sleep(ms))`, or '' when none was used. */
  describe(): string {
    return globalNames
      .filter((name) => this.used[name] > 0)
      .map((name) => `${name} ×${this.used[name]} (use the lock context's ${globalAlternatives[name]})`)
      .join(', ');
  }

  random(): number {
    this.used['Math.random']++;
    this.#stream ??= this.#world.random.stream('globals/Math.random');
    return this.#stream.next();
  }

  dateNow(): number {
    this.used['Date.now']++;
    return simEpochMs + this.#world.nowMs;
  }

  timer(fn: (...args: unknown[]) => void, delayMs: number | undefined, args: unknown[], repeat: boolean): VirtualTimeout {
    this.used[repeat ? 'setInterval' : 'setTimeout']++;
    const scheduler = this.#world.scheduler;
    // Node runs a timer after at least 1 ms, and treats a bad delay as 1 ms.
    const periodMs = Number.isFinite(delayMs) && (delayMs as number) >= 1 ? Math.floor(delayMs as number) : 1;
    const handle = new VirtualTimeout(++this.#nextTimerId);
    let event = scheduler.after(periodMs, fire);
    let live = true;
    function fire(): void {
      if (repeat) event = scheduler.after(periodMs, fire);
      else live = false;
      fn(...args);
    }
    handle.cancel = () => {
      if (!live) return;
      live = false;
      scheduler.cancel(event);
    };
    handle.refresh = () => {
      if (live) scheduler.cancel(event);
      live = true;
      event = scheduler.after(periodMs, fire);
      return handle;
    };
    return handle;
  }
}
