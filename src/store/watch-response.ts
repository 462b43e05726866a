/**
 * Building WatchResponses, and splitting big ones into fragments as etcd's
 * v3rpc/watch.go `sendFragments` does: a response of at least
 * `limits.watchFragmentBytesMax` encoded bytes with two or more events goes
 * out as several responses, each filled with events until adding one more
 * would reach the limit (a single event is never split), every one but the
 * last marked `fragment: true`.
 *
 * Sizes are protobuf encoded sizes (etcdserverpb.WatchResponse), computed
 * from the fields, without encoding.
 *
 *   3 events of 1 MiB, limit 2 MiB → [e1] fragment, [e2] fragment, [e3]
 */
import { Buffer } from 'node:buffer';
import type { Event, KeyValue, ResponseHeader, WatchId, WatchResponse } from './messages.ts';

export function watchResponse(revision: number, watchId: WatchId, fields: Partial<Omit<WatchResponse, 'header' | 'watch_id'>> = {}): WatchResponse {
  return {
    header: { revision },
    watch_id: watchId,
    created: fields.created ?? false,
    canceled: fields.canceled ?? false,
    compact_revision: fields.compact_revision ?? 0,
    cancel_reason: fields.cancel_reason ?? '',
    fragment: fields.fragment ?? false,
    events: fields.events ?? [],
  };
}

/** A response carrying a write's events to one watcher: watchResponse(revision, watchId, { events }) without the options object (one per watcher per write). */
export function eventsResponse(revision: number, watchId: WatchId, events: Event[]): WatchResponse {
  return {
    header: { revision },
    watch_id: watchId,
    created: false,
    canceled: false,
    compact_revision: 0,
    cancel_reason: '',
    fragment: false,
    events,
  };
}

function varintBytes(value: number | bigint): number {
  if (typeof value === 'bigint') {
    if (value < 0n) return 10;
    let n = 1;
    while (value >= 0x80n) {
      value >>= 7n;
      n++;
    }
    return n;
  }
  if (value < 0) return 10;
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** A scalar field (tag of one byte: field numbers below 16), omitted when zero. */
function scalarField(value: number | bigint | undefined): number {
  return value === undefined || value === 0 || value === 0n ? 0 : 1 + varintBytes(value);
}

function lengthField(length: number): number {
  return 1 + varintBytes(length) + length;
}

function bytesField(length: number): number {
  return length === 0 ? 0 : lengthField(length);
}

function keyValueBytes(kv: KeyValue): number {
  return (
    bytesField(kv.key.byteLength) +
    scalarField(kv.create_revision) +
    scalarField(kv.mod_revision) +
    scalarField(kv.version) +
    bytesField(kv.value.byteLength) +
    scalarField(kv.lease)
  );
}

function headerBytes(header: ResponseHeader): number {
  return scalarField(header.cluster_id) + scalarField(header.member_id) + scalarField(header.revision) + scalarField(header.raft_term);
}

export function eventBytes(event: Event): number {
  return (
    (event.type === 'DELETE' ? 2 : 0) + lengthField(keyValueBytes(event.kv)) + (event.prev_kv === undefined ? 0 : lengthField(keyValueBytes(event.prev_kv)))
  );
}

/** Encoded size of the response without its events. */
function envelopeBytes(response: WatchResponse): number {
  return (
    lengthField(headerBytes(response.header)) +
    scalarField(response.watch_id) +
    (response.created ? 2 : 0) +
    (response.canceled ? 2 : 0) +
    scalarField(response.compact_revision) +
    (response.cancel_reason.length === 0 ? 0 : lengthField(Buffer.byteLength(response.cancel_reason))) +
    (response.fragment ? 2 : 0)
  );
}

/** The protobuf encoded size of a WatchResponse. */
export function watchResponseBytes(response: WatchResponse): number {
  let total = envelopeBytes(response);
  for (const event of response.events) total += lengthField(eventBytes(event));
  return total;
}

/** The responses that carry `response` to a client that asked for fragments (etcd sendFragments). */
export function fragmentsOf(response: WatchResponse, bytesMax: number): WatchResponse[] {
  if (response.events.length < 2) return [response];
  const eventSizes = response.events.map((event) => lengthField(eventBytes(event)));
  const whole = envelopeBytes(response) + eventSizes.reduce((a, b) => a + b, 0);
  if (whole < bytesMax) return [response];
  const base = envelopeBytes(Object.assign({}, response, { fragment: true }));
  const out: WatchResponse[] = [];
  let index = 0;
  while (index < response.events.length) {
    const first = index;
    let size = base;
    while (index < response.events.length) {
      size += eventSizes[index]!;
      if (index > first && size >= bytesMax) break;
      index++;
    }
    const events = response.events.slice(first, index);
    out.push(Object.assign({}, response, { header: { ...response.header }, events, fragment: index < response.events.length }));
  }
  return out;
}
