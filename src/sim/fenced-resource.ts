/**
 * A storage service that judges writes by fencing token: it accepts a write
 * only when the token is at least the highest it has accepted so far, and it
 * records every attempt. With a lock, the token is the lock key's create
 * revision, so a client that lost the lock without knowing it (paused, cut
 * off) is turned away once the next holder has written:
 *
 *   write(token 5) accepted; write(token 9) accepted; write(token 5) rejected (stale)
 *
 * `fenced: false` accepts everything, still noting which writes were stale:
 * the contrast that shows a lock's belief is not the resource's safety.
 */

export interface ResourceOptions {
  /** Reject writes with a token below the highest accepted. @defaultValue true */
  fenced?: boolean;
}

/** One write a {@link FencedResource} saw, and whether it took it. */
export interface ResourceWriteAttempt {
  atMs: number;
  process: string;
  incarnation: number;
  fencingToken: number;
  value: string;
  accepted: boolean;
  /** The highest token accepted before this write (0 when none). */
  highestTokenBefore: number;
}

/** A storage service that accepts a write only with a fencing token at least as high as any it accepted, and records every attempt. */
export class FencedResource {
  readonly name: string;
  readonly fenced: boolean;
  readonly attempts: ResourceWriteAttempt[] = [];
  #highestToken = 0;
  #value: string | undefined;

  constructor(name: string, options: ResourceOptions = {}) {
    this.name = name;
    this.fenced = options.fenced ?? true;
  }

  /** The highest token accepted so far (0 when none). */
  get highestToken(): number {
    return this.#highestToken;
  }

  /** The last accepted value. */
  get value(): string | undefined {
    return this.#value;
  }

  /** Judge one write and record it. */
  write(attempt: Omit<ResourceWriteAttempt, 'accepted' | 'highestTokenBefore'>): ResourceWriteAttempt {
    const highestTokenBefore = this.#highestToken;
    const accepted = !this.fenced || attempt.fencingToken >= highestTokenBefore;
    if (accepted) {
      this.#highestToken = Math.max(this.#highestToken, attempt.fencingToken);
      this.#value = attempt.value;
    }
    const record: ResourceWriteAttempt = Object.assign({}, attempt, { accepted, highestTokenBefore });
    this.attempts.push(record);
    return record;
  }
}
