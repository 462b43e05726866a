/**
 * Fencing tokens (Kleppmann; etcd's why.md): the lock service hands each
 * holder a number that grows with every acquisition, and the protected
 * resource rejects a write carrying a lower number than one it has accepted.
 * With etcd the token is the lock key's create revision.
 *
 *   A locks: key created at rev 7 → token 7; A pauses, its lease expires
 *   B locks: key created at rev 9 → token 9; B writes with 9 → accepted
 *   A wakes, writes with 7       → rejected (7 < 9): the stale holder is fenced off
 *
 * The simulator's fenced resource implements FencedWriter; a lock holder that
 * fences passes its token with every write.
 */
import type { KeyValue } from '../store/messages.ts';
import type { Client } from './client.ts';
import type { CallOptions, KeyLike } from './kv.ts';

/** A lock key's create revision. */
export type FencingToken = number;

/** Whether a fenced resource took a write. */
export type FencedWriteOutcome = 'accepted' | 'rejected';

/** A resource that checks fencing tokens: it accepts a write only with a token >= every token it has accepted. */
export interface FencedWriter<Data = string> {
  write(token: FencingToken, data: Data): Promise<FencedWriteOutcome>;
}

/** The fencing token a lock key carries: its create revision. */
export function fencingTokenOf(kv: KeyValue): FencingToken {
  return kv.create_revision;
}

/** Read a lock key's token; undefined when the key does not exist. */
export async function readFencingToken(client: Client, key: KeyLike, options: CallOptions = {}): Promise<FencingToken | undefined> {
  const kv = (await client.get(key, options)).kvs[0];
  return kv === undefined ? undefined : fencingTokenOf(kv);
}

/** The rule a fenced resource applies: accept `token` when it is at least the highest accepted so far. */
export function fenceAccepts(highestAccepted: FencingToken | undefined, token: FencingToken): boolean {
  return highestAccepted === undefined || token >= highestAccepted;
}
