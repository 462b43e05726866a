// The scheduler lets every promise continuation settle before virtual time
// moves on, however many awaits deep it is, even when other processes keep
// the event queue busy every millisecond.
import { describe, expect, it } from 'vitest';
import { Sim } from '../../src/sim/sim.ts';

async function timeAfterAwaits(bareAwaits: number): Promise<number | undefined> {
  const sim = new Sim({ seed: 1, msMax: 400 });
  let readMs: number | undefined;
  sim.process('sleeper', async ({ sleep, now }) => {
    await sleep(100);
    for (let i = 0; i < bareAwaits; i++) await undefined;
    readMs = now();
  });
  sim.process('ticker', async ({ sleep }) => {
    for (let i = 0; i < 300; i++) await sleep(1);
  });
  const { errors } = await sim.run();
  expect(errors).toEqual([]);
  return readMs;
}

describe('settling between events', () => {
  for (const bareAwaits of [0, 13, 30, 200, 5000]) {
    it(`a process that sleeps 100 ms and then awaits ${bareAwaits} times still reads 100 ms while another ticks every 1 ms`, async () => {
      expect(await timeAfterAwaits(bareAwaits)).toBe(100);
    });
  }
});
