/**
 * Seeded randomness, split into named streams. One seed drives every random
 * choice in a run; each consumer (a network link, the fault generator, a
 * process, the store's lease IDs) draws from its own stream, derived from the
 * seed and the stream's name alone. So adding a process, or a message on one
 * link, never changes what another stream draws.
 *
 *   const random = new SimRandom(7);
 *   random.stream('process/alice').int(1, 6)   // same value for seed 7, however many other streams exist
 *
 * The seed is always given: leaselab never seeds from entropy.
 */
import seedrandom from 'seedrandom';
import { assert } from '../store/assert.ts';

/** What drives a run: a number or a string. */
export type Seed = number | string;

/** One deterministic stream of random numbers. */
export class RandomStream {
  readonly name: string;
  readonly #prng: seedrandom.PRNG;

  constructor(seed: Seed, name: string) {
    this.name = name;
    // alea: fast, and seeded only from this string (never from entropy).
    this.#prng = seedrandom.alea(`leaselab:${String(seed)}:${name}`);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.#prng();
  }

  /** A signed 32-bit integer (what the store wants for lease IDs). */
  int32(): number {
    return this.#prng.int32();
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min <= max)) assert(false, `bad integer range [${min}, ${max}]`); // the message is built only on failure
    return min + Math.floor(this.#prng() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.#prng() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'cannot pick from an empty array');
    return items[this.int(0, items.length - 1)]!;
  }
}

/** The run's seed and its streams, created on first use by name. */
export class SimRandom {
  readonly seed: Seed;
  readonly #streams = new Map<string, RandomStream>();

  constructor(seed: Seed) {
    assert(typeof seed === 'string' || Number.isFinite(seed), `a simulation needs an explicit seed, got ${String(seed)}`);
    this.seed = seed;
  }

  stream(name: string): RandomStream {
    let stream = this.#streams.get(name);
    if (stream === undefined) {
      stream = new RandomStream(this.seed, name);
      this.#streams.set(name, stream);
    }
    return stream;
  }
}
