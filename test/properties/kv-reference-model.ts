/**
 * A small, pure reference model of etcd's KV semantics (docs/etcd-semantics.md
 * §1–5): every revision's whole state kept as an immutable map, so a read at
 * any revision is a lookup. Slow and obviously right; the model-based test
 * runs the real store against it.
 */
import type { KeyValue } from '../../src/store/messages.ts';

export interface ModelKv {
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: bigint;
}

export type ModelState = ReadonlyMap<string, ModelKv>;

// Keys and values are binary strings (one char per byte), converted here on
// their own rather than by src/store/bytes.ts, so the model shares no code with the store.

/** A binary string's bytes. */
export const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
/** Bytes as a binary string. */
export const textOf = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

/** The store's KeyValue in the model's form, with its key. */
export const modelKvOf = (kv: KeyValue): ModelKv & { key: string } => ({
  key: textOf(kv.key),
  value: textOf(kv.value),
  create: kv.create_revision,
  mod: kv.mod_revision,
  version: kv.version,
  lease: kv.lease,
});

/** A range's end as the request's range_end: none (one key), "\0" for '' (every key from `key` on), or the end key. */
export const rangeEndOf = (end: string | undefined): { range_end?: Uint8Array } =>
  end === undefined ? {} : { range_end: end === '' ? new Uint8Array([0]) : bytesOf(end) };

export interface KvModel {
  /** states[r] = the store after revision r (states[0] unused, states[1] empty). */
  states: ModelState[];
  compacted: number;
}

export function emptyModel(): KvModel {
  return { states: [new Map(), new Map()], compacted: -1 };
}

export const currentOf = (model: KvModel): number => model.states.length - 1;
export const latestOf = (model: KvModel): ModelState => model.states[currentOf(model)]!;

export type ModelOp = { kind: 'put'; key: string; value: string; lease: bigint } | { kind: 'delete'; key: string; end: string | undefined };

export function inModelRange(candidate: string, key: string, end: string | undefined): boolean {
  if (end === undefined) return candidate === key;
  return candidate >= key && (end === '' || candidate < end);
}

export function keysIn(state: ModelState, key: string, end: string | undefined): string[] {
  return [...state.keys()].filter((k) => inModelRange(k, key, end)).sort();
}

/** Apply a write's ops in order; one new revision iff something changed. Returns the new model and per-op results. */
export function applyWrite(model: KvModel, ops: ModelOp[]): { model: KvModel; deleted: number[]; changed: boolean } {
  const rev = currentOf(model) + 1;
  const next = new Map(latestOf(model));
  let changed = false;
  const deleted: number[] = [];
  for (const op of ops) {
    if (op.kind === 'put') {
      const old = next.get(op.key);
      next.set(op.key, { value: op.value, create: old?.create ?? rev, mod: rev, version: (old?.version ?? 0) + 1, lease: op.lease });
      changed = true;
      deleted.push(0);
    } else {
      const doomed = keysIn(next, op.key, op.end);
      for (const k of doomed) next.delete(k);
      if (doomed.length > 0) changed = true;
      deleted.push(doomed.length);
    }
  }
  if (!changed) return { model, deleted, changed };
  return { model: { states: [...model.states, next], compacted: model.compacted }, deleted, changed };
}

export function compactModel(model: KvModel, rev: number): KvModel | 'compacted' | 'future' {
  if (rev <= model.compacted) return 'compacted';
  if (rev > currentOf(model)) return 'future';
  return { states: model.states, compacted: rev };
}

/** The state a read at `revision` sees, or the error etcd gives. */
export function readAt(model: KvModel, revision: number): ModelState | 'compacted' | 'future' {
  const current = currentOf(model);
  if (revision > current) return 'future';
  const rev = revision <= 0 ? current : revision;
  if (rev < model.compacted) return 'compacted';
  return model.states[rev]!;
}
