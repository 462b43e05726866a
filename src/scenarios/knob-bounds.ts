/**
 * What each "what if" knob accepts, in one place: `leaselab run` checks its
 * flags against it and the playground draws its form inputs from it, so the
 * command line and the page take the same values.
 *
 *   knobBounds.drift        // { field: 'driftRate', flag: '--drift', kind: 'rate', min: 0.1, max: 10, … }
 *   knobProblem('ttl', 0)   // 'the TTL must be a whole number of seconds >= 1'
 */
import type { KnobName, Knobs } from './scenario.ts';

export interface KnobBounds {
  name: KnobName;
  /** Where the value goes in {@link Knobs}. */
  field: keyof Knobs;
  /** The `leaselab run` flag. */
  flag: string;
  /** The form's label. */
  label: string;
  /** whole: an integer from `min` (to `max`); rate: a decimal from `min` to `max`; switch: on or off. */
  kind: 'whole' | 'rate' | 'switch';
  min?: number;
  max?: number;
  /** The form input's step. */
  step?: number;
  /** What is wrong with a value out of bounds, in a sentence. */
  problem: string;
}

/** --drift: slower than a tenth or faster than ten times real time says nothing more. */
const minDriftRate = 0.1;
const maxDriftRate = 10;

export const knobBounds: Readonly<Record<KnobName, KnobBounds>> = {
  ttl: {
    name: 'ttl',
    field: 'ttlSeconds',
    flag: '--ttl',
    label: 'TTL (s)',
    kind: 'whole',
    min: 1,
    step: 1,
    problem: 'the TTL must be a whole number of seconds >= 1',
  },
  pauseAt: {
    name: 'pauseAt',
    field: 'pauseAtMs',
    flag: '--pause-at',
    label: 'pause at (ms)',
    kind: 'whole',
    min: 0,
    step: 1,
    problem: 'pause at must be a whole number of ms >= 0',
  },
  pauseFor: {
    name: 'pauseFor',
    field: 'pauseForMs',
    flag: '--pause-for',
    label: 'pause for (ms)',
    kind: 'whole',
    min: 0,
    step: 1,
    problem: 'pause for must be a whole number of ms >= 0',
  },
  latency: {
    name: 'latency',
    field: 'latencyMs',
    flag: '--latency',
    label: 'latency (ms)',
    kind: 'whole',
    min: 0,
    step: 1,
    problem: 'latency must be a whole number of ms >= 0',
  },
  drift: {
    name: 'drift',
    field: 'driftRate',
    flag: '--drift',
    label: "client's clock rate (× real time)",
    kind: 'rate',
    min: minDriftRate,
    max: maxDriftRate,
    step: 0.05,
    problem: `the clock rate must be from ${minDriftRate} to ${maxDriftRate} (0.5: the client's clock runs at half speed)`,
  },
  fenced: { name: 'fenced', field: 'fenced', flag: '--fenced/--unfenced', label: 'storage', kind: 'switch', problem: 'fenced is on or off' },
};

/** The knob names in the order the form shows them. */
export const knobNames: readonly KnobName[] = ['ttl', 'pauseAt', 'pauseFor', 'latency', 'drift', 'fenced'];

/** Why a knob's value is out of bounds, or undefined when it is in. */
export function knobProblem(name: KnobName, value: unknown): string | undefined {
  const bounds = knobBounds[name];
  if (bounds.kind === 'switch') return typeof value === 'boolean' ? undefined : bounds.problem;
  if (typeof value !== 'number' || !Number.isFinite(value)) return bounds.problem;
  if (bounds.kind === 'whole' && !Number.isInteger(value)) return bounds.problem;
  if (bounds.min !== undefined && value < bounds.min) return bounds.problem;
  if (bounds.max !== undefined && value > bounds.max) return bounds.problem;
  return undefined;
}
