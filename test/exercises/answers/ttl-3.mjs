// A wrong answer to `leaselab exercise ttl-for-a-pause`: too short for a 3 s pause.
export const ttlSeconds = 3;
