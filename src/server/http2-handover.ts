/**
 * How a client's HTTP/2 connection reaches grpc-js: natively when it can.
 *
 * Node's HTTP/2 reads a net.Socket in C++ (libuv straight into nghttp2, and
 * its writes straight out); any other stream it must drive through a JS
 * wrapper, which costs more CPU per request than the rest of a Put's
 * serving. The `:authority` rewriter (http2-authority.ts) is such a stream,
 * and is needed only by a client that sends a scheme in `:authority`
 * (clientv3 given `http://…` endpoints); a gRPC client sends the same
 * `:authority` on every stream of a connection. So the connection's first
 * header block is read here before Node sees any byte: without a scheme the
 * socket itself is handed over, the bytes read so far put back in front of
 * it; with one, or when the client sends anything else first, the rewriter
 * takes the connection as before.
 *
 * gRPC clients (grpc-go, grpc-js) send no request before the server's
 * SETTINGS frame has arrived, and Node sends its own only once it has the
 * connection. So an empty SETTINGS frame (every setting at its default) is
 * sent here first, and the client's acknowledgement of it is taken out of
 * what Node gets, which then sees the handshake as its own: its SETTINGS
 * follow as a second frame, which HTTP/2 allows (RFC 7540 §6.5).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AuthorityRewritingStream, authorityWithoutScheme, firstHeaderBlockAuthority } from './http2-authority.ts';

const prefaceBytes = 24;
const frameHeaderBytes = 9;
const frameType = { headers: 0x1, priority: 0x2, settings: 0x4, windowUpdate: 0x8, continuation: 0x9 } as const;
const flag = { ack: 0x1, endHeaders: 0x4 } as const;
/** An empty SETTINGS frame: length 0, type SETTINGS, no flags, stream 0. */
const emptySettingsFrame = Buffer.from([0, 0, 0, frameType.settings, 0, 0, 0, 0, 0]);
/** Bytes read before deciding at most; a client past it is handed to the rewriter. */
const sniffBytesMax = 256 * 1024;

/**
 * Take an HTTP/2 connection whose first bytes (the client preface, at least
 * its start) have not been read yet, and hand it to `inject` once its first
 * header block shows whether `:authority` needs rewriting.
 */
export function handOverHttp2(socket: Socket, inject: (connection: Socket | Duplex) => void): void {
  socket.write(emptySettingsFrame);
  let pending: Buffer = Buffer.alloc(0);
  /** Bytes to hand over, in order, without the acknowledgement of our SETTINGS. */
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let prefaceRead = false;
  let acknowledged = false;
  /** The first header block's frames (HEADERS + CONTINUATIONs) while it is incomplete. */
  let block: Buffer[] | undefined;
  let authority: string | undefined;
  /** A frame other than SETTINGS, WINDOW_UPDATE or PRIORITY came before the first header block. */
  let other = false;

  const keep = (bytes: Buffer) => {
    kept.push(bytes);
    keptBytes += bytes.length;
  };
  const handOver = (native: boolean) => {
    socket.off('data', onData);
    socket.pause();
    if (pending.length > 0) keep(pending);
    if (kept.length > 0) socket.unshift(Buffer.concat(kept));
    inject(native ? socket : new AuthorityRewritingStream(socket));
    if (!native) socket.resume();
  };

  const frame = (type: number, flags: number, whole: Buffer) => {
    if (type === frameType.settings && (flags & flag.ack) !== 0 && !acknowledged) {
      acknowledged = true; // ours: Node never sent it, so it must not see it
      return;
    }
    keep(whole);
    if (authority !== undefined) return;
    if (type === frameType.headers || (type === frameType.continuation && block !== undefined)) {
      block = block ?? [];
      block.push(whole);
      if ((flags & flag.endHeaders) !== 0) {
        authority = firstHeaderBlockAuthority(block) ?? '';
        block = undefined;
      }
    } else if (type !== frameType.settings && type !== frameType.windowUpdate && type !== frameType.priority) other = true;
  };

  const onData = (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (!prefaceRead) {
      if (pending.length < prefaceBytes) return;
      keep(pending.subarray(0, prefaceBytes));
      pending = pending.subarray(prefaceBytes);
      prefaceRead = true;
    }
    try {
      while (pending.length >= frameHeaderBytes) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < frameHeaderBytes + length) break;
        const whole = pending.subarray(0, frameHeaderBytes + length);
        pending = pending.subarray(whole.length);
        frame(whole[3]!, whole[4]!, whole);
        if (!acknowledged) continue;
        // Decided: a request came (natively unless its :authority needs the rewriter), or something else came first.
        if (authority !== undefined) return handOver(authorityWithoutScheme(authority) === authority);
        if (other) return handOver(false);
      }
    } catch {
      return handOver(false); // a header block HPACK cannot read: Node refuses it as it would have
    }
    if (keptBytes + pending.length > sniffBytesMax) handOver(false);
  };
  socket.on('data', onData);
}
