/** Limits of the playground: what one page runs in a browser tab. */
export const playgroundLimits = {
  /** Clients of the lock workload. */
  clientsMax: 10,
  /** A lock run's virtual length, ms. */
  durationMsMax: 120_000,
  /** Faults injected into one run (each injection is a pair: pause/resume, …). */
  injectedFaultsMax: 40,
} as const;
