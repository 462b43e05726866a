// Shared helpers for the KV store tests: a fake lessor and short request builders.
import { type BinaryKey, utf8 } from '../../src/store/bytes.ts';
import type { LeaseDirectory } from '../../src/store/kv-contract.ts';
import { KvStore } from '../../src/store/kv-store.ts';
import type { Compare, Event, KeyValue, LeaseId, RequestOp } from '../../src/store/messages.ts';

export class FakeLeases implements LeaseDirectory {
  readonly granted = new Set<LeaseId>();
  readonly keys = new Map<LeaseId, Set<string>>();
  constructor(...ids: LeaseId[]) {
    for (const id of ids) this.granted.add(id);
  }
  exists(id: LeaseId): boolean {
    return this.granted.has(id);
  }
  attach(id: LeaseId, key: string): void {
    if (!this.keys.has(id)) this.keys.set(id, new Set());
    this.keys.get(id)!.add(key);
  }
  detach(id: LeaseId, key: string): void {
    this.keys.get(id)?.delete(key);
  }
  keysOf(id: LeaseId): string[] {
    return [...(this.keys.get(id) ?? [])].sort();
  }
}

/** What the store's observer heard of one write: its events and their keys as the store holds them (one alone as a string). */
export interface Commit {
  revision: number;
  events: Event[];
  keys: BinaryKey | readonly BinaryKey[];
}

export function newStore(...leases: LeaseId[]): { store: KvStore; leases: FakeLeases; commits: Commit[] } {
  const fake = new FakeLeases(...leases);
  const commits: Commit[] = [];
  const store = new KvStore({ leases: fake, observer: { committed: (revision, events, keys) => commits.push({ revision, events, keys }) } });
  return { store, leases: fake, commits };
}

export const b = (text: string): Uint8Array => utf8(text);
export const s = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A KeyValue as a compact, comparable object. */
export function kv(item: KeyValue): { key: string; value: string; create: number; mod: number; version: number; lease: bigint } {
  return { key: s(item.key), value: s(item.value), create: item.create_revision, mod: item.mod_revision, version: item.version, lease: item.lease };
}

export const keysOf = (kvs: KeyValue[]): string[] => kvs.map((item) => s(item.key));

export const put = (key: string, value = 'bar', extra: object = {}): RequestOp => ({ request_put: { key: b(key), value: b(value), ...extra } });
export const del = (key: string, rangeEnd?: string, extra: object = {}): RequestOp => ({
  request_delete_range: { key: b(key), ...(rangeEnd === undefined ? {} : { range_end: b(rangeEnd) }), ...extra },
});
export const get = (key: string, extra: object = {}): RequestOp => ({ request_range: { key: b(key), ...extra } });
export const cmp = (
  key: string,
  target: NonNullable<Compare['target']>,
  result: NonNullable<Compare['result']>,
  operand: Partial<Compare>,
  rangeEnd?: string,
): Compare => ({
  key: b(key),
  target,
  result,
  ...operand,
  ...(rangeEnd === undefined ? {} : { range_end: b(rangeEnd) }),
});
