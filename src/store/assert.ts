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

/**
 * The default of a switch that must name every case: with `value: never`,
 * adding a member to the union (a new fault kind, say) makes every switch
 * that forgets it fail to compile, and a value that slips past the types
 * anyway fails here.
 */
export function assertNever(value: never, what: string): never {
  throw new AssertionError(`unhandled ${what}: ${JSON.stringify(value, (_key, field: unknown) => (typeof field === 'bigint' ? field.toString() : field))}`);
}
