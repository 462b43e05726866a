/**
 * A revision names one change: `main` is the store revision of the write
 * (one per write txn), `sub` the change's position inside that write
 * (etcd's revision{main, sub}, server/mvcc/revision.go).
 *
 * The store packs both into one number so that a key's history is a plain
 * array of doubles and ordering is numeric comparison:
 *
 *   packRevision(5, 0) = 5 * 2^22      packRevision(5, 2) = 5 * 2^22 + 2
 *   (5,0) < (5,2) < (6,0)
 *
 * Limits: main < 2^31 and sub < 2^22 keep every packed value an exact
 * integer below 2^53 (asserted where revisions are made).
 */
import { assert } from './assert.ts';

/** Changes one write may make at most (sub-revisions 0 .. subRevisionsMax-1). */
export const subRevisionsMax = 4_194_304; // 2^22

/** Main revisions are below this (2^31: about 2 billion writes). */
export const mainRevisionMax = 2_147_483_648;

export type PackedRevision = number;

export function packRevision(main: number, sub: number): PackedRevision {
  return main * subRevisionsMax + sub;
}

export function mainOf(revision: PackedRevision): number {
  return Math.floor(revision / subRevisionsMax);
}

/** The largest packed revision with this main revision. */
export function lastOfMain(main: number): PackedRevision {
  return main * subRevisionsMax + (subRevisionsMax - 1);
}

export function checkRevision(main: number, sub: number): void {
  if (main >= 0 && main < mainRevisionMax && sub >= 0 && sub < subRevisionsMax) return;
  assert(false, `revision ${main}.${sub} out of range`);
}
