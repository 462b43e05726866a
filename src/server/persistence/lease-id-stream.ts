/**
 * The random stream a server draws lease IDs from (grant with ID 0), seeded
 * by one number and counting its draws, so that a data dir can record where
 * the stream stands and a restart continues it instead of starting over (a
 * restarted server must never hand out an ID it handed out before: an old
 * client's keepalive would renew a stranger's lease).
 *
 *   const ids = new LeaseIdStream(42);   // same seed, same IDs
 *   ids.int32(); ids.draws               // 1
 *   ids.restart(42, 1)                   // the same stream, after its first draw
 */
import { randomBytes } from 'node:crypto';
import seedrandom from 'seedrandom';
import type { RandomSource } from '../../store/clock.ts';

/** Seeds are integers in [0, 2^48): exact as JSON numbers and short to print. */
export const leaseIdSeedMax = 2 ** 48 - 1;

/** A seed from the OS's entropy: each process gets its own lease-ID stream. */
export function entropySeed(): number {
  return randomBytes(6).readUIntBE(0, 6);
}

export function isLeaseIdSeed(seed: number): boolean {
  return Number.isSafeInteger(seed) && seed >= 0 && seed <= leaseIdSeedMax;
}

export class LeaseIdStream implements RandomSource {
  #seed: number;
  #draws = 0;
  #prng: seedrandom.PRNG;

  constructor(seed: number) {
    if (!isLeaseIdSeed(seed)) throw new RangeError(`a lease-ID seed is an integer in [0, ${leaseIdSeedMax}], got ${seed}`);
    this.#seed = seed;
    this.#prng = seedrandom.alea(`leaselab:lease-ids:${seed}`);
  }

  get seed(): number {
    return this.#seed;
  }

  /** int32() calls so far. */
  get draws(): number {
    return this.#draws;
  }

  int32(): number {
    this.#draws++;
    return this.#prng.int32();
  }

  /** Continue the stream of `seed` after `draws` draws (what a data dir recorded). */
  restart(seed: number, draws: number): void {
    if (!isLeaseIdSeed(seed)) throw new RangeError(`a lease-ID seed is an integer in [0, ${leaseIdSeedMax}], got ${seed}`);
    this.#seed = seed;
    this.#prng = seedrandom.alea(`leaselab:lease-ids:${seed}`);
    this.#draws = 0;
    while (this.#draws < draws) this.int32();
  }
}
