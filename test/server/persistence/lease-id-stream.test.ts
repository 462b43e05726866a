// The lease-ID stream: one seed, one stream; a restart from (seed, draws) goes on where it stood, so a
// restarted server never hands out an ID again; a bad seed is refused and changes nothing.
import { describe, expect, it } from 'vitest';
import { entropySeed, isLeaseIdSeed, LeaseIdStream, leaseIdSeedMax } from '../../../src/server/persistence/lease-id-stream.ts';

const draw = (stream: LeaseIdStream, n: number) => Array.from({ length: n }, () => stream.int32());

describe('LeaseIdStream', () => {
  it('one seed gives one stream of 32-bit integers, counted', () => {
    const a = new LeaseIdStream(42);
    const ids = draw(a, 20);
    expect(draw(new LeaseIdStream(42), 20)).toEqual(ids);
    expect(a.draws).toBe(20);
    expect(a.seed).toBe(42);
    expect(ids.every((id) => Number.isInteger(id) && id >= -(2 ** 31) && id < 2 ** 31)).toBe(true);
    expect(new Set(ids).size).toBe(20);
    expect(draw(new LeaseIdStream(43), 20)).not.toEqual(ids);
  });

  it('restart(seed, draws) continues the stream after that many draws', () => {
    const ids = draw(new LeaseIdStream(7), 12);
    const restarted = new LeaseIdStream(99);
    draw(restarted, 3);
    restarted.restart(7, 5);
    expect([restarted.seed, restarted.draws]).toEqual([7, 5]);
    expect(draw(restarted, 7)).toEqual(ids.slice(5));
    expect(restarted.draws).toBe(12);
  });

  it('takes integer seeds from 0 to 2^48 - 1 only; a refused restart leaves the stream as it was', () => {
    expect(leaseIdSeedMax).toBe(2 ** 48 - 1);
    for (const good of [0, 1, leaseIdSeedMax]) expect(isLeaseIdSeed(good), String(good)).toBe(true);
    for (const bad of [-1, 1.5, 2 ** 48, Number.NaN, Infinity]) {
      expect(isLeaseIdSeed(bad), String(bad)).toBe(false);
      expect(() => new LeaseIdStream(bad)).toThrow(new RangeError(`a lease-ID seed is an integer in [0, ${leaseIdSeedMax}], got ${bad}`));
    }
    const stream = new LeaseIdStream(5);
    const expected = draw(new LeaseIdStream(5), 4);
    draw(stream, 2);
    expect(() => stream.restart(-1, 0)).toThrow(RangeError);
    expect([stream.seed, stream.draws]).toEqual([5, 2]);
    expect(draw(stream, 2)).toEqual(expected.slice(2));
  });

  it('an entropy seed is a valid seed, and each is its own', () => {
    const seeds = Array.from({ length: 8 }, entropySeed);
    for (const seed of seeds) expect(isLeaseIdSeed(seed), String(seed)).toBe(true);
    expect(new Set(seeds).size).toBe(seeds.length);
  });
});
