/**
 * What the store knows of time: it reads `nowMs()` and nothing else. Whoever
 * owns the store (simulator, server, test) moves time and calls the expiry
 * sweep; the store never schedules anything itself.
 */
export interface Clock {
  /** Milliseconds on the owner's clock (virtual in the simulator). */
  nowMs(): number;
}

/**
 * Random numbers the store is handed (for server-chosen lease IDs).
 * A seedrandom stream fits: `int32()` gives a signed 32-bit integer.
 */
export interface RandomSource {
  int32(): number;
}
