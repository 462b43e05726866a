/**
 * The simulated network: named nodes (processes, the etcd server, resources)
 * joined by directed links. Each link has its own latency distribution, loss
 * probability and random stream, and delivers in order, like a gRPC stream
 * over TCP: a message never overtakes one sent before it on the same link.
 *
 *   alice → server: sent at 10 (latency 5) and 11 (latency 1)
 *   → delivered at 15 and 15, in that order
 *
 * Faults on a link (either direction or one way):
 * - partition: messages are dropped (when sent, and when they would arrive);
 * - hold: messages wait at the receiving end, in order, until release;
 * - loss: each message is dropped with a probability;
 * - latency: a different distribution (a latency spike), until restored.
 */
import { assert } from '../store/assert.ts';
import type { RandomStream, SimRandom } from './random.ts';
import type { ScheduleOptions, Scheduler, ScheduledEvent } from './scheduler.ts';

/**
 * One-way latency in ms: a fixed number, uniform integers in [min, max], or
 * `min` plus an exponential tail with the given mean (rounded to whole ms).
 */
export type LatencyDistribution = number | { min: number; max: number } | { min?: number; mean: number };

export function drawLatencyMs(distribution: LatencyDistribution, random: RandomStream): number {
  if (typeof distribution === 'number') return distribution;
  if ('max' in distribution) return random.int(distribution.min, distribution.max);
  const minMs = distribution.min ?? 0;
  return minMs + Math.round(-distribution.mean * Math.log(1 - random.next()));
}

function checkLatency(distribution: LatencyDistribution): void {
  if (typeof distribution === 'number')
    assert(Number.isInteger(distribution) && distribution >= 0, `latency must be a whole number of ms >= 0, got ${distribution}`);
  else if ('max' in distribution)
    assert(
      Number.isInteger(distribution.min) && Number.isInteger(distribution.max) && distribution.min >= 0 && distribution.min <= distribution.max,
      `bad latency range ${JSON.stringify(distribution)}`,
    );
  else assert(distribution.mean >= 0 && (distribution.min ?? 0) >= 0, `bad latency ${JSON.stringify(distribution)}`);
}

/** Options of the simulated network: latency and loss. */
export interface NetworkOptions {
  /** One-way latency of every link unless overridden. @defaultValue `{ min: 1, max: 5 }` */
  latencyMs?: LatencyDistribution;
  /** Probability that any one message is lost. @defaultValue 0 */
  lossProbability?: number;
}

export type DropReason = 'partition' | 'loss';

/** A pair of nodes; `oneWay` limits a fault to messages from `from` to `to`. */
export interface LinkSelector {
  from: string;
  to: string;
  oneWay?: boolean;
}

export interface Receiver<P> {
  /** May return settledNothing (src/client/runtime.ts): the delivery ran no user code, so the scheduler need not yield after it. */
  deliver(from: string, payload: P): unknown;
  /** The receiver runs no user code (a server): its deliveries need no yield. */
  quiet: boolean;
}

interface Link<P> {
  from: string;
  to: string;
  random: RandomStream;
  partitioned: boolean;
  held: boolean;
  lossProbability: number | undefined;
  latencyMs: LatencyDistribution | undefined;
  /**
   * Messages in flight, oldest first, and when each arrives: two ring buffers (no object per message, no
   * array allocated as messages come and go), `count` of them from index `head`; the capacity is a power of two.
   */
  queue: (P | undefined)[];
  deliverAtMs: number[];
  head: number;
  count: number;
  /** The event delivering queue[head], if one is scheduled. */
  event: ScheduledEvent | undefined;
  lastDeliverAtMs: number;
  /** Delivers queue[head] (one closure per link, not one per message). */
  deliverHead: () => unknown;
  /** Scheduling options of its deliveries: quiet when the receiver runs no user code. */
  deliveryOptions: ScheduleOptions;
}

export class Network<P> {
  readonly #scheduler: Scheduler;
  readonly #random: SimRandom;
  readonly #receivers = new Map<string, Receiver<P>>();
  readonly #links = new Map<string, Link<P>>();
  /** The same links by sender, then receiver: a lookup per message without building a key string. */
  readonly #linksFrom = new Map<string, Map<string, Link<P>>>();
  readonly #onDrop: (from: string, to: string, payload: P, reason: DropReason) => void;
  #latencyMs: LatencyDistribution;
  #lossProbability: number;

  constructor(scheduler: Scheduler, random: SimRandom, options: NetworkOptions, onDrop: (from: string, to: string, payload: P, reason: DropReason) => void) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.#latencyMs = options.latencyMs ?? { min: 1, max: 5 };
    checkLatency(this.#latencyMs);
    this.#lossProbability = options.lossProbability ?? 0;
    this.#onDrop = onDrop;
  }

  attach(name: string, receiver: Receiver<P>): void {
    assert(!this.#receivers.has(name), `node ${name} is already on the network`);
    this.#receivers.set(name, receiver);
  }

  hasNode(name: string): boolean {
    return this.#receivers.has(name);
  }

  /** Send `payload` from one node to another; it arrives later, or never. */
  send(from: string, to: string, payload: P): void {
    const link = this.#link(from, to);
    if (link.partitioned) return this.#onDrop(from, to, payload, 'partition');
    if (link.random.chance(link.lossProbability ?? this.#lossProbability)) return this.#onDrop(from, to, payload, 'loss');
    const nowMs = this.#scheduler.nowMs();
    const deliverAtMs = Math.max(nowMs + drawLatencyMs(link.latencyMs ?? this.#latencyMs, link.random), link.lastDeliverAtMs);
    link.lastDeliverAtMs = deliverAtMs;
    if (link.count === link.queue.length) growQueue(link);
    const tail = (link.head + link.count) & (link.queue.length - 1);
    link.queue[tail] = payload;
    link.deliverAtMs[tail] = deliverAtMs;
    link.count++;
    if (link.event === undefined && !link.held) this.#scheduleHead(link);
  }

  /** Messages in flight or held, over all links. */
  get inFlight(): number {
    let count = 0;
    for (const link of this.#links.values()) count += link.count;
    return count;
  }

  partition(selector: LinkSelector): void {
    for (const link of this.#select(selector)) link.partitioned = true;
  }

  /** Heal the selected links, or every link when no selector is given. */
  heal(selector?: LinkSelector): void {
    for (const link of selector ? this.#select(selector) : this.#links.values()) link.partitioned = false;
  }

  hold(selector: LinkSelector): void {
    for (const link of this.#select(selector)) link.held = true;
  }

  /** Release held messages (in order) on the selected links, or on every link; says how many each held link had waiting. */
  release(selector?: LinkSelector): { from: string; to: string; messages: number }[] {
    const released: { from: string; to: string; messages: number }[] = [];
    for (const link of selector ? this.#select(selector) : [...this.#links.values()]) {
      if (!link.held) continue;
      link.held = false;
      const waiting = link.count;
      if (waiting > 0) released.push({ from: link.from, to: link.to, messages: waiting });
      if (link.event === undefined) this.#scheduleHead(link);
    }
    return released;
  }

  /** Loss probability on the selected links (undefined: back to the network's), or on every link. */
  setLoss(probability: number | undefined, selector?: LinkSelector): void {
    assert(probability === undefined || (probability >= 0 && probability <= 1), `loss probability must be in [0, 1], got ${probability}`);
    if (selector === undefined) this.#lossProbability = probability ?? 0;
    else for (const link of this.#select(selector)) link.lossProbability = probability;
  }

  /** Latency on the selected links (undefined: back to the network's), or of the whole network. */
  setLatency(latencyMs: LatencyDistribution | undefined, selector?: LinkSelector): void {
    if (latencyMs !== undefined) checkLatency(latencyMs);
    if (selector === undefined) {
      if (latencyMs !== undefined) this.#latencyMs = latencyMs;
    } else for (const link of this.#select(selector)) link.latencyMs = latencyMs;
  }

  #select(selector: LinkSelector): Link<P>[] {
    const links = [this.#link(selector.from, selector.to)];
    if (!selector.oneWay) links.push(this.#link(selector.to, selector.from));
    return links;
  }

  #link(from: string, to: string): Link<P> {
    let linksFrom = this.#linksFrom.get(from);
    if (linksFrom === undefined) {
      linksFrom = new Map();
      this.#linksFrom.set(from, linksFrom);
    }
    let link = linksFrom.get(to);
    if (link === undefined) {
      const key = `${from}\u0000${to}`;
      assert(this.#receivers.has(from), `unknown node ${from}`);
      assert(this.#receivers.has(to), `unknown node ${to}`);
      const created: Link<P> = {
        from,
        to,
        random: this.#random.stream(`network/${from}->${to}`),
        partitioned: false,
        held: false,
        lossProbability: undefined,
        latencyMs: undefined,
        queue: [undefined, undefined, undefined, undefined],
        deliverAtMs: [0, 0, 0, 0],
        head: 0,
        count: 0,
        event: undefined,
        lastDeliverAtMs: 0,
        deliverHead: () => this.#deliverHead(created),
        deliveryOptions: { quiet: this.#receivers.get(to)!.quiet },
      };
      link = created;
      this.#links.set(key, link);
      linksFrom.set(to, link);
    }
    return link;
  }

  #scheduleHead(link: Link<P>): void {
    if (link.count === 0) return;
    link.event = this.#scheduler.at(link.deliverAtMs[link.head]!, link.deliverHead, link.deliveryOptions);
  }

  #deliverHead(link: Link<P>): unknown {
    link.event = undefined;
    if (link.held) return undefined; // waits for release
    const payload = link.queue[link.head] as P;
    link.queue[link.head] = undefined; // delivered: not kept alive by the queue
    link.head = (link.head + 1) & (link.queue.length - 1);
    link.count--;
    this.#scheduleHead(link);
    if (link.partitioned) this.#onDrop(link.from, link.to, payload, 'partition');
    else return this.#receivers.get(link.to)!.deliver(link.from, payload);
    return undefined;
  }
}

/** Double a full link's ring buffers, oldest message first at index 0. */
function growQueue<P>(link: Link<P>): void {
  const capacity = link.queue.length;
  const queue: (P | undefined)[] = [];
  const deliverAtMs: number[] = [];
  for (let i = 0; i < capacity; i++) {
    const from = (link.head + i) & (capacity - 1);
    queue.push(link.queue[from]);
    deliverAtMs.push(link.deliverAtMs[from]!);
  }
  for (let i = capacity; i < capacity * 2; i++) {
    queue.push(undefined);
    deliverAtMs.push(0);
  }
  link.queue = queue;
  link.deliverAtMs = deliverAtMs;
  link.head = 0;
}
