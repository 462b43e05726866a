/**
 * How a txn compare judges one key (etcd's compareKV in apply.go): the key's
 * field named by the target against the compare's operand, by the result.
 *
 *   version(a) = 0      a missing: its zero key-value has version 0 → holds
 *   value(a) > "x"      bytes compare as binary strings, "y" > "x" → holds
 *
 * The store's txn engine and the linearizability checker's etcd KV model both
 * judge compares here. Which keys a compare reads (a range, or a missing key's
 * zero key-value, where a VALUE compare fails) is theirs to decide.
 */
import { toBinary } from './bytes.ts';
import type { Compare, CompareResult, UnknownEnum } from './messages.ts';

/** A compared field or operand: a binary string (VALUE), a bigint (LEASE) or a number. */
export type CompareOperand = string | number | bigint;

/** The operand a compare message carries for its target; an unknown target's is 0, as every field it reads. */
export function compareOperand(c: Compare): CompareOperand {
  switch (c.target ?? 'VERSION') {
    case 'VALUE':
      return c.value == null ? '' : toBinary(c.value);
    case 'VERSION':
      return c.version ?? 0;
    case 'CREATE':
      return c.create_revision ?? 0;
    case 'MOD':
      return c.mod_revision ?? 0;
    case 'LEASE':
      return c.lease ?? 0n;
    default:
      return 0; // an unknown target compares nothing: equal (etcd compareKV)
  }
}

/** Does `field` stand to `operand` as `result` asks? An unknown result holds (etcd compareKV). */
export function compareHolds(result: CompareResult | UnknownEnum, field: CompareOperand, operand: CompareOperand): boolean {
  const order = field < operand ? -1 : field > operand ? 1 : 0;
  switch (result) {
    case 'EQUAL':
      return order === 0;
    case 'NOT_EQUAL':
      return order !== 0;
    case 'GREATER':
      return order > 0;
    case 'LESS':
      return order < 0;
    default:
      return true;
  }
}
