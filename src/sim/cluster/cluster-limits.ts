/**
 * The numbers a simulated etcd cluster runs by, each from etcd 3.4's
 * defaults (etcdserver/config.go, raft/raft.go; the lessor's are in src/store/limits.ts).
 */
import { electionTimeoutMs, heartbeatIntervalMs } from '../../store/limits.ts';

/** Members unless told otherwise (`--members`). */
export const defaultMembers = 3;

/** A request's deadline inside a member: 5 s plus two election timeouts (ServerConfig.ReqTimeout). */
export function requestTimeoutMs(electionMs: number = electionTimeoutMs): number {
  return 5000 + 2 * electionMs;
}

/** How often a member resends an unanswered ReadIndex (v3_server.go readIndexRetryTime). */
export const readIndexRetryMs = 500;

/** The leader's heartbeat and a follower's election timeout (etcd's --heartbeat-interval, --election-timeout). */
export const defaultHeartbeatIntervalMs = heartbeatIntervalMs;
export const defaultElectionTimeoutMs = electionTimeoutMs;

/** A require-leader stream is cancelled after this many election timeouts without a leader (v3rpc monitorLeader). */
export const noLeaderElectionsBeforeStreamsEnd = 3;
