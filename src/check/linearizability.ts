/**
 * Linearizability, by the Wing–Gong/Lowe search that porcupine uses.
 *
 * A history is linearizable when every operation can be given one instant
 * between its call and its return such that, taken in that order, a
 * sequential model accepts every operation and its output. The search walks
 * a linked list of call and return entries in time order:
 *
 *   call a ─ call b ─ return a ─ call c ─ return b ─ return c
 *
 * - at a call, try the op in the current state: if the model accepts it and
 *   (linearized set ∪ {op}, new state) is not in the cache, linearize it:
 *   push it, lift its call and return out of the list, restart from the head;
 * - at a return whose op is not linearized, no order works from here: pop the
 *   last op, put its entries back (unlift), and try the call after it;
 * - an empty list means everything is linearized: the history is linearizable;
 *   backtracking past the first op means it is not.
 *
 * The cache holds (linearized bitset, state) pairs already explored, keyed by
 * a Zobrist hash of the bitset (kept up to date by one XOR per push or pop),
 * mixed with the model's state hash when it has one. A model may split the
 * history into independent parts (per key, say), each checked on its own;
 * parts are searched round-robin, a slice at a time, so that one illegal part
 * ends the check early (porcupine runs them in parallel and kills the rest).
 *
 * Two prunings on top of porcupine's search, both exact:
 * - a step returning the very same state object is a no-op (a read). A legal
 *   no-op op whose call comes before every pending return can be linearized
 *   first in any linearization from here, so it is committed: when its
 *   subtree fails, the configuration below it fails too, without trying
 *   other ops in its place;
 * - `step` must be pure, so an op rejected in a state object is not asked
 *   again in that same object.
 * (test/check/linearizability-brute-force.test.ts checks the search against
 * every order of thousands of small random histories.)
 *
 * Outcomes: an `error` op never happened and is left out; an `unknown` op
 * returns at infinity, so it may be linearized anywhere after its call,
 * including after everything else, where it changes nothing anyone saw
 * ("maybe applied"). Its output is `undefined` and the model must accept any
 * effect it may have had. Equal times: calls come before returns, so ops that
 * touch (one returns at t, the other is called at t) count as concurrent.
 */
import type { Operation } from './history.ts';
import type { HistoryProblem } from './verdict.ts';
import { VisitedSet } from './visited-set.ts';

/**
 * A sequential specification (porcupine's Model).
 *
 * `step` returns whether `input` may produce `output` in `state`, and the
 * state after it. `output` is `undefined` for an op whose outcome is unknown:
 * the step must then accept (return `true`) with the op's effect applied.
 *
 * Identity matters: returning the very `state` object it was given tells the
 * checker the op is a read that changes nothing in any state, and the search
 * commits such an op at once instead of trying it later too. A write that
 * happens to change nothing in this state (a delete of a missing key) must
 * return an equal copy, or its later effect is never explored.
 */
export interface Model<State, Input, Output> {
  /** Split a history into independent sub-histories (e.g. one per key); each is checked on its own. */
  partition?(operations: readonly Operation<Input, Output>[]): Operation<Input, Output>[][];
  /** The state before any operation. */
  init(): State;
  /** Apply `input` to `state`; `[false, _]` when `output` is impossible in `state`. */
  step(state: State, input: Input, output: Output | undefined): readonly [boolean, State];
  /** State equality for the cache. @defaultValue `===` */
  equal?(a: State, b: State): boolean;
  /** A 32-bit hash of a state, consistent with `equal`; speeds up the cache when one bitset meets many states. */
  hash?(state: State): number;
  /** One-line description of an operation, for reports. */
  describeOperation?(input: Input, output: Output | undefined): string;
  /** One-line description of a state, for reports. */
  describeState?(state: State): string;
}

/** Options of {@link checkLinearizability}. */
export interface LinearizabilityOptions {
  /**
   * Give up (verdict `unknown`, reason `budget`) after this many search steps
   * (one step tries one op at one point of the search; they are counted in
   * slices of {@link searchSliceSteps}). A count, not a time: the same history
   * gets the same verdict on any machine. @defaultValue no limit
   */
  stepsMax?: number;
  /**
   * On failure, look for a smaller sub-history that is still not linearizable. The failure (and
   * this shrinking) is computed when the verdict's `failure` is first read, not before.
   * @defaultValue true
   */
  shrinkWindow?: boolean;
}

/** An operation together with its index in the history passed to the checker (-1 if a model's partition made it up). */
export interface IndexedOperation<Input, Output> {
  index: number;
  operation: Operation<Input, Output>;
}

/** One op of the longest linearizable prefix, with the model state after it. */
export interface LinearizationStep<State, Input, Output> extends IndexedOperation<Input, Output> {
  stateAfter: State;
}

/** An op that was open (called, not linearized) where the search got stuck, and why it could not go next. */
export interface StuckCandidate<Input, Output> extends IndexedOperation<Input, Output> {
  /** `illegal`: the model rejects it in `stateBefore`; `explored`: it fits, but every continuation failed. */
  reason: 'illegal' | 'explored';
}

/**
 * Where linearization fails, as porcupine's partial linearizations show it:
 * the longest prefix that could be linearized, and the op whose return came
 * before it could be placed.
 */
export interface LinearizabilityFailure<State, Input, Output> {
  /** Index of the failing sub-history in the model's partition. */
  partitionIndex: number;
  /**
   * The smallest sub-history found that is not linearizable on its own: the
   * failing partition, cut after the stuck op's return when the cut still
   * fails. It can be passed to {@link checkLinearizability} as it is.
   */
  window: Operation<Input, Output>[];
  /** Indices of `window`'s ops in the checked history. */
  windowIndices: number[];
  /** The longest linearization found, in order. */
  linearized: LinearizationStep<State, Input, Output>[];
  /** Model state after `linearized`. */
  stateBefore: State;
  /** The op that could not be placed: its return was reached while it was not linearized. */
  stuck: IndexedOperation<Input, Output>;
  /** Every op open at that point (the stuck op among them), with the reason it could not go next. */
  candidates: StuckCandidate<Input, Output>[];
  /** `[first call, stuck op's return]` of the window, for drawing. */
  fromMs: number;
  toMs: number;
}

interface VerdictStats {
  /** Operations checked (after leaving out `error` ones and problems). */
  operations: number;
  partitions: number;
  /** Search steps spent, in whole slices of {@link searchSliceSteps} (the last slice of each search counted whole). */
  steps: number;
  problems: HistoryProblem[];
}

/** The verdict of {@link checkLinearizability}. */
export type LinearizabilityVerdict<State, Input, Output> =
  | ({ result: 'ok' } & VerdictStats)
  | ({ result: 'illegal'; failure: LinearizabilityFailure<State, Input, Output> } & VerdictStats)
  | ({ result: 'unknown'; reason: 'budget' } & VerdictStats);

/**
 * Is `history` linearizable with respect to `model`?
 *
 * @param history - calls with their outcomes, in any order; `error` ops are left out.
 * @param model - the sequential specification, with an optional partition.
 * @param options - step budget and failure-window shrinking.
 * @returns `ok`, `illegal` with the failing window, or `unknown` when the step budget ran out. Never throws on a bad
 *   history: ops with bad times are skipped and listed in `problems`. (Exceptions thrown by the model
 *   itself propagate.)
 */
export function checkLinearizability<State, Input, Output>(
  history: readonly Operation<Input, Output>[],
  model: Model<State, Input, Output>,
  options: LinearizabilityOptions = {},
): LinearizabilityVerdict<State, Input, Output> {
  const budget: StepBudget = { left: options.stepsMax ?? Infinity, spent: 0 };
  const problems: HistoryProblem[] = [];
  const indexOf = new Map<Operation<Input, Output>, number>();
  const kept: Operation<Input, Output>[] = [];
  history.forEach((operation, index) => {
    const problem = operationProblem(operation);
    if (problem !== undefined) problems.push({ index, message: problem });
    else if (operation.outcome !== 'error') {
      kept.push(operation);
      if (!indexOf.has(operation)) indexOf.set(operation, index);
    }
  });
  const partitions = model.partition ? model.partition(kept) : [kept];
  const stats = () => ({ operations: kept.length, partitions: partitions.length, steps: budget.spent, problems });

  const searches = partitions.map((partition) => new Search(partition, model, false));
  const run = runAll(searches, budget);
  if (run.outcome === 'illegal') {
    // The failure is worked out when first read: it searches the failing part again, keeping track of
    // the deepest dead end, then (shrinkWindow) cuts it down; a caller after the verdict alone skips that.
    const verdict = { result: 'illegal', ...stats() } as { result: 'illegal'; failure: LinearizabilityFailure<State, Input, Output> } & VerdictStats;
    let failure: LinearizabilityFailure<State, Input, Output> | undefined;
    Object.defineProperty(verdict, 'failure', {
      enumerable: true,
      configurable: true,
      get: () => (failure ??= explainFailure(partitions[run.index]!, run.index, model, indexOf, budget, options.shrinkWindow ?? true)),
    });
    return verdict;
  }
  return run.outcome === 'budget' ? { result: 'unknown', reason: 'budget', ...stats() } : { result: 'ok', ...stats() };
}

function operationProblem(operation: Operation<unknown, unknown>): string | undefined {
  if (operation === null || typeof operation !== 'object') return 'not an operation';
  const { invokeMs, returnMs, outcome } = operation;
  if (outcome !== 'ok' && outcome !== 'error' && outcome !== 'unknown') return `unknown outcome ${String(outcome)}`;
  if (typeof invokeMs !== 'number' || !Number.isFinite(invokeMs)) return `invokeMs is not a finite number: ${String(invokeMs)}`;
  if (outcome === 'unknown') return undefined;
  if (typeof returnMs !== 'number' || Number.isNaN(returnMs)) return `returnMs is not a number: ${String(returnMs)}`;
  if (returnMs < invokeMs) return `returns (${returnMs}) before it is called (${invokeMs})`;
  return undefined;
}

/** The deepest point the search reached before a dead end (op numbers are partition indices). */
interface DeepestPoint<State> {
  prefix: number[];
  states: State[];
  stuck: number;
  stateBefore: State;
}

let zobristWords = new Uint32Array(0);

/** Deterministic random 32-bit words (splitmix32), one per op, shared by all searches. */
function zobrist(count: number): Uint32Array {
  if (zobristWords.length >= count) return zobristWords;
  const words = new Uint32Array(Math.max(count, 2 * zobristWords.length, 1024));
  let seed = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    seed = (seed + 0x9e3779b9) | 0;
    let z = seed;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    words[i] = (z ^ (z >>> 16)) >>> 0;
  }
  zobristWords = words;
  return words;
}

const fullWord = 0xffffffff;

/**
 * One partition's search, resumable: `run(budget)` does at most `budget`
 * steps and says whether it finished.
 *
 * Ops are renumbered by call order (id 0 is called first), so the linearized
 * bitset is a run of full words, then a short tail: the cache stores only the
 * words from the first non-full one (`first`) to the last non-zero one
 * (`end`), in one growing pool. Entry `2·id` is op id's call, `2·id + 1` its
 * return, `2n` the list head.
 */
class Search<State, Input, Output> {
  readonly count: number;
  /** Entries in time order. */
  readonly order: Int32Array;
  /** Position of each entry in `order`. */
  readonly position: Int32Array;
  /** Partition index of each op id. */
  readonly indexOfId: Int32Array;
  /** Op id of each partition index. */
  readonly idOfIndex: Int32Array;
  deepest: DeepestPoint<State> | undefined;
  /** (bitset, state) pairs put in the cache. */
  get explored(): number {
    return this.visited.size;
  }
  status: 'running' | 'ok' | 'illegal' = 'running';

  private readonly inputs: Input[];
  private readonly outputs: (Output | undefined)[];
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly bits: Uint32Array;
  private readonly stackOps: Int32Array;
  /** The state (object) each op was last rejected in: `step` is pure, so it need not be asked again. */
  private readonly failedIn: (State | undefined)[];
  /** 1 where the op pushed left the state unchanged (the very same object): see `noOp`. */
  private readonly stackNoOp: Uint8Array;
  private readonly stackStates: State[] = [];
  private depth = 0;
  private hash = 0;
  private first = 0;
  private end = 0;
  private state: State;
  private entry: number;
  /** Explored (bitset, state) pairs (src/check/visited-set.ts). */
  private readonly visited: VisitedSet<State>;

  constructor(
    operations: readonly Operation<Input, Output>[],
    private readonly model: Model<State, Input, Output>,
    private readonly track: boolean,
  ) {
    const n = operations.length;
    this.count = n;
    const byCall = Array.from({ length: n }, (_, i) => i).sort((a, b) => operations[a]!.invokeMs - operations[b]!.invokeMs || a - b);
    this.indexOfId = Int32Array.from(byCall);
    this.idOfIndex = new Int32Array(n);
    byCall.forEach((index, id) => (this.idOfIndex[index] = id));
    this.inputs = byCall.map((i) => operations[i]!.input);
    this.outputs = byCall.map((i) => (operations[i]!.outcome === 'unknown' ? undefined : operations[i]!.output));
    const times = new Float64Array(2 * n);
    byCall.forEach((i, id) => {
      const op = operations[i]!;
      times[2 * id] = op.invokeMs;
      times[2 * id + 1] = op.outcome === 'unknown' ? Infinity : op.returnMs;
    });
    const order = Array.from({ length: 2 * n }, (_, e) => e);
    // By time; at equal times calls before returns; then by op.
    order.sort((a, b) => times[a]! - times[b]! || (a & 1) - (b & 1) || a - b);
    this.order = Int32Array.from(order);
    this.position = new Int32Array(2 * n);
    for (let p = 0; p < 2 * n; p++) this.position[this.order[p]!] = p;

    const head = 2 * n;
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    let last = head;
    for (let p = 0; p < 2 * n; p++) {
      const e = this.order[p]!;
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    }
    this.next[last] = -1;
    this.bits = new Uint32Array(((n + 31) >>> 5) + 1);
    this.stackOps = new Int32Array(n);
    this.failedIn = new Array<State | undefined>(n).fill(undefined);
    this.stackNoOp = new Uint8Array(n);
    this.state = model.init();
    this.entry = this.next[head]!;
    this.visited = new VisitedSet<State>(model.equal, model.hash, 4 * n);
    zobrist(n);
  }

  /** Search for at most `budget` steps; the status after. */
  run(budget: number): 'running' | 'ok' | 'illegal' {
    if (this.status !== 'running') return this.status;
    const n = this.count;
    const head = 2 * n;
    const { next, prev, bits, stackOps, stackNoOp, stackStates, inputs, outputs, model, failedIn, visited } = this;
    let dead = false;
    const keys = zobristWords;
    const stateHash = model.hash;
    let { depth, hash, first, end, state } = this;
    let e = this.entry;
    let steps = 0;
    for (; e !== -1 && steps < budget; steps++) {
      if ((e & 1) === 0 && !dead) {
        const id = e >>> 1;
        if (failedIn[id] === state) {
          e = next[e]!;
          continue;
        }
        // Indexing, not `const [ok, newState] =`: until the optimizing compiler takes over, array
        // destructuring runs the iterator protocol, allocating on every step (a large share of a cold check's time and garbage).
        const stepped = model.step(state, inputs[id]!, outputs[id]);
        const newState = stepped[1];
        if (!stepped[0]) {
          failedIn[id] = state;
          e = next[e]!;
          continue;
        }
        const word = id >>> 5;
        const mask = 1 << (id & 31);
        bits[word]! |= mask;
        let newFirst = first;
        while (bits[newFirst] === fullWord) newFirst++;
        const newEnd = word + 1 > end ? word + 1 : end;
        const newHash = (hash ^ keys[id]!) >>> 0;
        const key = stateHash === undefined ? newHash : (Math.imul(newHash ^ stateHash(newState), 0x9e3779b1) ^ newHash) >>> 0;
        const noOp = newState === state;
        if (visited.add(key, bits, newFirst, newEnd, newState)) {
          stackNoOp[depth] = noOp ? 1 : 0;
          stackOps[depth] = id;
          stackStates[depth] = state;
          depth++;
          state = newState;
          hash = newHash;
          first = newFirst;
          end = newEnd;
          // lift: take the call and its return out of the list
          const r = e + 1;
          next[prev[e]!] = next[e]!;
          prev[next[e]!] = prev[e]!;
          next[prev[r]!] = next[r]!;
          if (next[r] !== -1) prev[next[r]!] = prev[r]!;
          e = next[head]!;
        } else {
          bits[word]! &= ~mask;
          // A no-op already explored from here failed, so everything from here fails (see noOp below).
          if (noOp) dead = true;
          else e = next[e]!;
        }
      } else {
        if (dead) dead = false;
        else if (this.track && (this.deepest === undefined || depth > this.deepest.prefix.length)) {
          const states = stackStates.slice(1, depth);
          states.push(state);
          this.deepest = {
            prefix: Array.from(stackOps.subarray(0, depth), (id) => this.indexOfId[id]!),
            states,
            stuck: this.indexOfId[e >>> 1]!,
            stateBefore: state,
          };
        }
        let noOp = 0;
        let id = -1;
        do {
          if (depth === 0) {
            this.status = 'illegal';
            break;
          }
          depth--;
          id = stackOps[depth]!;
          noOp = stackNoOp[depth]!;
          state = stackStates[depth]!;
          const word = id >>> 5;
          bits[word]! &= ~(1 << (id & 31));
          if (word < first) first = word;
          while (end > 0 && bits[end - 1] === 0) end--;
          hash = (hash ^ keys[id]!) >>> 0;
          // unlift: put the return back, then the call
          const c = 2 * id;
          const r = c + 1;
          next[prev[r]!] = r;
          if (next[r] !== -1) prev[next[r]!] = r;
          next[prev[c]!] = c;
          prev[next[c]!] = c;
        } while (noOp === 1);
        if (this.status === 'illegal') break;
        e = next[2 * id]!;
      }
    }
    if (e === -1 && this.status === 'running') this.status = 'ok';
    Object.assign(this, { depth, hash, first, end, state, entry: e });
    return this.status;
  }
}

/** Steps a search runs between looks at the budget (and between partitions taking turns). */
export const searchSliceSteps = 1 << 14;

/** What is left of a check's step budget, and what it spent. */
interface StepBudget {
  left: number;
  spent: number;
}

/** Spend one slice; false when the budget is gone. */
function spendSlice(budget: StepBudget): boolean {
  budget.spent += searchSliceSteps;
  budget.left -= searchSliceSteps;
  return budget.left > 0;
}

/** Run searches round-robin, a slice at a time (as porcupine runs partitions in parallel): the first illegal one ends it. */
function runAll<State, Input, Output>(
  searches: Search<State, Input, Output>[],
  budget: StepBudget,
): { outcome: 'ok' } | { outcome: 'illegal'; index: number } | { outcome: 'budget' } {
  let running = searches.map((_, i) => i);
  while (running.length > 0) {
    const still: number[] = [];
    for (const i of running) {
      const status = searches[i]!.run(searchSliceSteps);
      const more = spendSlice(budget);
      if (status === 'illegal') return { outcome: 'illegal', index: i };
      if (status === 'running') {
        still.push(i);
        if (!more) return { outcome: 'budget' };
      }
    }
    running = still;
  }
  return { outcome: 'ok' };
}

/** Run one search to its end or until the budget is gone. */
function runToEnd<State, Input, Output>(search: Search<State, Input, Output>, budget: StepBudget): 'ok' | 'illegal' | 'budget' {
  for (;;) {
    const status = search.run(searchSliceSteps);
    const more = spendSlice(budget);
    if (status !== 'running') return status;
    if (!more) return 'budget';
  }
}

/** Re-run a failing partition keeping track of the deepest dead end, and cut it down while it still fails. */
function explainFailure<State, Input, Output>(
  partition: Operation<Input, Output>[],
  partitionIndex: number,
  model: Model<State, Input, Output>,
  indexOf: Map<Operation<Input, Output>, number>,
  budget: StepBudget,
  shrink: boolean,
): LinearizabilityFailure<State, Input, Output> {
  let window = partition;
  let search = new Search(window, model, true);
  // Known to fail: run to the end whatever the budget (the failure must be explained).
  runToEnd(search, { left: Infinity, spent: 0 });
  for (;;) {
    if (!shrink) break;
    const deepest = search.deepest!;
    const cut = search.position[2 * search.idOfIndex[deepest.stuck]! + 1]!;
    const smaller = window.filter((_, i) => search.position[2 * search.idOfIndex[i]!]! < cut);
    if (smaller.length >= window.length) break;
    const candidate = new Search(smaller, model, true);
    const outcome = runToEnd(candidate, budget);
    if (outcome !== 'illegal') break;
    window = smaller;
    search = candidate;
  }
  const deepest = search.deepest!;
  const indexed = (i: number): IndexedOperation<Input, Output> => {
    const operation = window[i]!;
    return { index: indexOf.get(operation) ?? -1, operation };
  };
  const linearized = deepest.prefix.map((i, k) => ({ ...indexed(i), stateAfter: deepest.states[k]! }));
  const inPrefix = new Set(deepest.prefix);
  const stuckReturn = search.position[2 * search.idOfIndex[deepest.stuck]! + 1]!;
  const candidates: StuckCandidate<Input, Output>[] = [];
  for (let i = 0; i < window.length; i++) {
    if (inPrefix.has(i) || search.position[2 * search.idOfIndex[i]!]! > stuckReturn) continue;
    const op = window[i]!;
    const [ok] = model.step(deepest.stateBefore, op.input, op.outcome === 'unknown' ? undefined : op.output);
    candidates.push({ ...indexed(i), reason: ok ? 'explored' : 'illegal' });
  }
  const stuck = indexed(deepest.stuck);
  return {
    partitionIndex,
    window,
    windowIndices: window.map((op) => indexOf.get(op) ?? -1),
    linearized,
    stateBefore: deepest.stateBefore,
    stuck,
    candidates,
    fromMs: window.reduce((min, op) => Math.min(min, op.invokeMs), Infinity),
    toMs: stuck.operation.outcome === 'unknown' ? Infinity : stuck.operation.returnMs,
  };
}
