import { describe, expect, it } from 'vitest';
import { SimRandom } from '../../src/sim/random.ts';

describe('SimRandom', () => {
  it('gives each named stream the same draws for the same seed, whatever other streams exist', () => {
    const alone = new SimRandom(7);
    const aliceAlone = Array.from({ length: 5 }, () => alone.stream('process/alice').int(0, 1000));
    const crowded = new SimRandom(7);
    crowded.stream('process/bob').next();
    crowded.stream('network/bob->server').next();
    const aliceCrowded: number[] = [];
    for (let i = 0; i < 5; i++) {
      crowded.stream('process/carol').next();
      aliceCrowded.push(crowded.stream('process/alice').int(0, 1000));
    }
    expect(aliceCrowded).toEqual(aliceAlone);
  });

  it('differs between seeds and between streams', () => {
    const draw = (seed: number, name: string) =>
      Array.from(
        { length: 4 },
        (
          (stream) => () =>
            stream.int32()
        )(new SimRandom(seed).stream(name)),
      );
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
  });

  it('draws integers within bounds and refuses a missing seed', () => {
    const stream = new SimRandom('s').stream('x');
    for (let i = 0; i < 1000; i++) {
      const value = stream.int(3, 5);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(5);
    }
    expect(() => new SimRandom(undefined as unknown as number)).toThrow(/explicit seed/);
  });
});
