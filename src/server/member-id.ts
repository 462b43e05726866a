/**
 * Member and cluster IDs as etcd 3.4 derives them for the members of a new
 * cluster (membership.NewMember, RaftCluster.genID), so that a server started
 * with etcd's flags shows the IDs etcd would: the member ID is the first 8
 * bytes (big-endian) of SHA-1 over its sorted peer URLs and the cluster token;
 * the cluster ID the same over its members' IDs.
 *
 *   memberIdOf(['http://localhost:2380'], 'etcd-cluster') → 10276657743932975437n (etcd's defaults)
 */
import { createHash } from 'node:crypto';

/** etcd's --initial-cluster-token default. */
export const defaultClusterToken = 'etcd-cluster';

export function memberIdOf(peerUrls: readonly string[], clusterToken: string = defaultClusterToken): bigint {
  const text = [...peerUrls].sort().join('') + clusterToken;
  return createHash('sha1').update(text).digest().readBigUInt64BE(0);
}

export function clusterIdOf(memberIds: readonly bigint[]): bigint {
  const bytes = Buffer.alloc(8 * memberIds.length);
  [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).forEach((id, i) => bytes.writeBigUInt64BE(id, 8 * i));
  return createHash('sha1').update(bytes).digest().readBigUInt64BE(0);
}
