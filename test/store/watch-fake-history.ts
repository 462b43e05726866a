/**
 * A tiny KV history for watch tests: writes make events and tell an
 * observer, as the KV store does; reads answer KvHistory from the event log.
 * Plus a recording sink that can be told to refuse.
 */
import { fromBinary, toBinary, utf8, type BinaryKey } from '../../src/store/bytes.ts';
import type { WatchSink } from '../../src/store/etcd-api.ts';
import type { KvHistory, WriteObserver } from '../../src/store/kv-contract.ts';
import type { Event, KeyValue, WatchResponse } from '../../src/store/messages.ts';

export type Op = { put: string; value?: string; lease?: bigint } | { del: string; end?: string };

function inRange(key: BinaryKey, start: BinaryKey, end: BinaryKey | undefined): boolean {
  if (end === undefined) return key === start;
  return key >= start && (end === '' || key < end);
}

export class FakeHistory implements KvHistory {
  revision = 1;
  compacted = -1;
  readonly log: Event[] = [];
  readonly live = new Map<BinaryKey, KeyValue>();
  observer: WriteObserver | undefined;

  currentRevision(): number {
    return this.revision;
  }

  compactRevision(): number {
    return this.compacted;
  }

  eventsBetween(from: number, to: number, key: BinaryKey, end: BinaryKey | undefined, revisionsMax: number): Event[] {
    if (this.compacted > from) throw new Error(`eventsBetween(${from}) below compaction ${this.compacted}`);
    const out: Event[] = [];
    let revisions = 0;
    let last = -1;
    for (const event of this.log) {
      const revision = event.kv.mod_revision;
      if (revision < from || revision > to) continue;
      if (!inRange(toBinary(event.kv.key), key, end)) continue;
      if (revision !== last) {
        if (revisions === revisionsMax) break;
        revisions++;
        last = revision;
      }
      out.push(event);
    }
    return out;
  }

  getAt(key: BinaryKey, revision: number): KeyValue | undefined {
    if (revision < this.compacted) return undefined;
    for (let i = this.log.length - 1; i >= 0; i--) {
      const event = this.log[i]!;
      if (event.kv.mod_revision > revision || toBinary(event.kv.key) !== key) continue;
      return event.type === 'PUT' ? event.kv : undefined;
    }
    return undefined;
  }

  /** One write: one revision if anything changed. Returns the store revision afterwards. */
  write(ops: Op[]): number {
    const revision = this.revision + 1;
    const events: Event[] = [];
    for (const op of ops) {
      if ('put' in op) {
        const key = toBinary(utf8(op.put));
        const prev = this.live.get(key);
        const kv: KeyValue = {
          key: utf8(op.put),
          create_revision: prev?.create_revision ?? revision,
          mod_revision: revision,
          version: (prev?.version ?? 0) + 1,
          value: utf8(op.value ?? 'bar'),
          lease: op.lease ?? 0n,
        };
        this.live.set(key, kv);
        events.push({ type: 'PUT', kv });
      } else {
        const start = toBinary(utf8(op.del));
        const end = op.end === undefined ? undefined : op.end === '\0' ? '' : toBinary(utf8(op.end));
        for (const key of [...this.live.keys()].sort()) {
          if (!inRange(key, start, end)) continue;
          this.live.delete(key);
          events.push({
            type: 'DELETE',
            kv: { key: fromBinary(key), create_revision: 0, mod_revision: revision, version: 0, value: new Uint8Array(0), lease: 0n },
          });
        }
      }
    }
    if (events.length === 0) return this.revision;
    this.revision = revision;
    this.log.push(...events);
    this.observer?.committed(
      revision,
      events,
      events.map((event) => toBinary(event.kv.key)),
    );
    return revision;
  }

  put(key: string, value = 'bar'): number {
    return this.write([{ put: key, value }]);
  }

  del(key: string, end?: string): number {
    return this.write([end === undefined ? { del: key } : { del: key, end }]);
  }

  compact(revision: number): void {
    this.compacted = revision;
  }
}

/** Records what it accepts; refuses while `full`, or once `capacity` responses are held. */
export class RecordingSink implements WatchSink {
  readonly responses: WatchResponse[] = [];
  full = false;
  capacity = Number.POSITIVE_INFINITY;
  refused = 0;

  send(response: WatchResponse): boolean {
    if (this.full || this.responses.length >= this.capacity) {
      this.refused++;
      return false;
    }
    this.responses.push(response);
    return true;
  }

  /** Take everything received so far. */
  drain(): WatchResponse[] {
    return this.responses.splice(0);
  }
}

/** A response as text-keyed plain data, for readable expectations. */
export function show(response: WatchResponse): Record<string, unknown> {
  const out: Record<string, unknown> = { rev: response.header.revision, id: response.watch_id };
  if (response.created) out.created = true;
  if (response.canceled) out.canceled = true;
  if (response.compact_revision !== 0) out.compact = response.compact_revision;
  if (response.cancel_reason !== '') out.reason = response.cancel_reason;
  if (response.fragment) out.fragment = true;
  if (response.events.length > 0) out.events = response.events.map(showEvent);
  return out;
}

export function showEvent(event: Event): string {
  const kv = event.kv;
  const key = new TextDecoder().decode(kv.key);
  let text =
    event.type === 'DELETE'
      ? `DELETE ${key}@${kv.mod_revision}`
      : `PUT ${key}=${new TextDecoder().decode(kv.value)} c${kv.create_revision} m${kv.mod_revision} v${kv.version}`;
  if (event.prev_kv !== undefined) text += ` prev=${new TextDecoder().decode(event.prev_kv.value)}@${event.prev_kv.mod_revision}`;
  return text;
}
