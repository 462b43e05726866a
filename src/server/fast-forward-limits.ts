/**
 * Limits of leaselab serve's fast-forward, in one place, units last in names.
 * None of these exist in etcd, which has no fast-forward.
 */

/**
 * A keepalive stream counts as a live keeper of a lease if it renewed it no
 * longer ago (wall time) than its cadence plus this slack: room for a
 * client's scheduling jitter and clientv3's 500 ms send loop.
 */
export const keeperSlackMs = 1000;

/**
 * The cadence assumed for a stream that renewed a lease once so far, and the
 * least one assumed after that, as a fraction of the TTL: clientv3 and the
 * etcd3 npm client both renew every TTL/3.
 */
export const keeperCadenceTtlFraction = 1 / 3;

/** Fast-forward in total at most this far (about 31,700 years): past it, ms lose integer precision in timer arithmetic. */
export const fastForwardTotalMsMax = 1e15;
