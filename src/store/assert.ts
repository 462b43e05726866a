/**
 * Invariant checks. A failed assert is a bug in leaselab, never an outcome a
 * caller handles: it throws an AssertionError that nothing catches.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}
