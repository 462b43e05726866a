/** A Sim whose processes get the raw Transport as their client, for tests that watch the wire. */
import type { Transport } from '../../src/client/transport.ts';
import { Sim, type SimOptions } from '../../src/sim/sim.ts';
import { utf8 } from '../../src/store/bytes.ts';

export function transportSim(options: Omit<SimOptions<Transport>, 'createClient'>): Sim<Transport> {
  return new Sim<Transport>({ network: { latencyMs: 1 }, ...options, createClient: ({ transport }) => transport });
}

export const bytes = (text: string) => utf8(text);

/** The lines of a trace of some kinds, without their time column. */
export function lines(text: string, pattern: RegExp): string[] {
  return text
    .split('\n')
    .filter((line) => pattern.test(line))
    .map((line) => line.trim());
}
