/**
 * The scenarios, in the order a learner meets them: a lease on its own, then
 * locks, then what faults do to locks, then the server's own surprises.
 */
import { clientClockDrift } from './client-clock-drift.ts';
import { crashReleasesLock } from './crash-releases-lock.ts';
import { delayedWrite } from './delayed-write.ts';
import { electionFailover } from './election-failover.ts';
import { fencingSavesTheDay } from './fencing-saves-the-day.ts';
import { leaderChangeExtendsLease } from './leader-change-extends-lease.ts';
import { leaseExpiry } from './lease-expiry.ts';
import { leaseKeepalive } from './lease-keepalive.ts';
import { lateKeepalive } from './late-keepalive.ts';
import { oneWayPartition } from './one-way-partition.ts';
import { lockContention } from './lock-contention.ts';
import { partitionExpiresLease } from './partition-expires-lease.ts';
import { pauseBreaksLock } from './pause-breaks-lock.ts';
import type { Scenario } from './scenario.ts';
import { sessionCloseVsOrphan } from './session-close-vs-orphan.ts';
import { watchSeesExpiry } from './watch-sees-expiry.ts';
import { staleReadTwoHolders } from './stale-read-two-holders.ts';
import { leaderIsolated } from './leader-isolated.ts';
import { checkpointExpiresLease, leaderChangesKeepLease } from './leader-changes-and-leases.ts';
import { keepaliveCutFromLeader } from './keepalive-cut-from-leader.ts';

export {
  runScenario,
  type Analysis,
  type EtcdSource,
  type KnobDeclaration,
  type KnobName,
  type Knobs,
  type Prediction,
  type RunPlace,
  type Scenario,
  type ScenarioRun,
  type StoryAssertion,
} from './scenario.ts';

export const scenarios: readonly Scenario[] = [
  leaseExpiry,
  leaseKeepalive,
  watchSeesExpiry,
  lateKeepalive,
  sessionCloseVsOrphan,
  lockContention,
  crashReleasesLock,
  pauseBreaksLock,
  delayedWrite,
  fencingSavesTheDay,
  partitionExpiresLease,
  oneWayPartition,
  clientClockDrift,
  leaderChangeExtendsLease,
  electionFailover,
  staleReadTwoHolders,
  leaderIsolated,
  leaderChangesKeepLease,
  checkpointExpiresLease,
  keepaliveCutFromLeader,
];

/** A scenario by name, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((scenario) => scenario.name === name);
}
