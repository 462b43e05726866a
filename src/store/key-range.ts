/**
 * Key ranges as etcd reads them (§2.2 of the semantics): from the wire's
 * (key, range_end) to the store's (key, end) and membership.
 *
 *   range_end absent or empty → end undefined: just `key`
 *   range_end "\0"            → end '':        every key >= key
 *   otherwise                 → [key, range_end) byte-wise; empty when range_end <= key
 */
import { type BinaryKey, toBinary } from './bytes.ts';
import type { Bytes } from './messages.ts';

export function rangeEndOf(rangeEnd: Bytes | undefined | null): BinaryKey | undefined {
  if (rangeEnd == null || rangeEnd.length === 0) return undefined;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return '';
  return toBinary(rangeEnd);
}

export function inRange(candidate: BinaryKey, key: BinaryKey, end: BinaryKey | undefined): boolean {
  if (end === undefined) return candidate === key;
  if (candidate < key) return false;
  return end === '' || candidate < end;
}
