// A wrong answer to `leaselab exercise ttl-for-a-pause`: survives the pause, but a crashed leader holds its key too long.
export default { ttlSeconds: 15 };
