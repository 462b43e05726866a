// Reference answer to `leaselab exercise ttl-for-a-pause`: 8 s rides out a 3 s pause (keepalives every ~3 s) and frees a crashed leader's key within ~8.5 s.
export const ttlSeconds = 8;
