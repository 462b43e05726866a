/**
 * What crosses the simulated network: a process's client talking to the etcd
 * server (unary calls and bidirectional streams, on one connection per
 * process incarnation, like a gRPC ClientConn) and to storage resources.
 *
 * Every message names the process incarnation it belongs to, so a response
 * reaching a process that has since crashed and restarted is discarded, as a
 * real one would be by the new process's fresh sockets.
 */
import type { UnaryMethod } from '../client/transport.ts';
import type { EtcdError } from '../store/errors.ts';
import { describeRaftMessage, isRaftMessage, type RaftMessage } from './cluster/raft-messages.ts';

export type StreamService = 'watch' | 'keepalive';

interface FromProcess {
  process: string;
  incarnation: number;
  /** Connection ID: new after the server dropped the previous one. */
  connection: number;
}

export type ToServer =
  | (FromProcess & { type: 'unary'; callId: number; method: UnaryMethod; request: unknown })
  /** requireLeader: clientv3's WithRequireLeader (its keepalive loop's stream). */
  | (FromProcess & { type: 'stream-open'; streamId: number; service: StreamService; requireLeader?: boolean })
  | (FromProcess & { type: 'stream-send'; streamId: number; request: unknown })
  | (FromProcess & { type: 'stream-close'; streamId: number })
  /** The process went away (crashed or exited): its connection closes. */
  | (FromProcess & { type: 'disconnect' });

interface ToProcess {
  incarnation: number;
  connection: number;
}

export type FromServer =
  | (ToProcess & { type: 'unary-ok'; callId: number; response: unknown })
  | (ToProcess & { type: 'unary-error'; callId: number; error: EtcdError })
  | (ToProcess & { type: 'stream-message'; streamId: number; response: unknown })
  | (ToProcess & { type: 'stream-end'; streamId: number; error?: EtcdError })
  /** The server dropped the connection: its streams end with `error`, its pending calls are lost. */
  | (ToProcess & { type: 'reset'; error: EtcdError });

export interface ToResource {
  type: 'resource-write';
  process: string;
  incarnation: number;
  requestId: number;
  fencingToken: number;
  value: string;
  /** When it was sent (set by the world as it goes on the network). */
  sentAtMs?: number;
}

export interface FromResource {
  type: 'resource-result';
  incarnation: number;
  requestId: number;
  accepted: boolean;
}

/** Members of a cluster talk raft to each other (src/sim/cluster/raft-messages.ts). */
export type WireMessage = ToServer | FromServer | ToResource | FromResource | RaftMessage;

/** A short name for a message, for the trace: `put #3`, `keepalive send`, `reset`. */
export function describeWire(message: WireMessage): string {
  if (isRaftMessage(message)) return describeRaftMessage(message);
  switch (message.type) {
    case 'unary':
      return `${message.method} #${message.callId}`;
    case 'unary-ok':
    case 'unary-error':
      return `${message.type === 'unary-ok' ? 'response' : 'error'} #${message.callId}`;
    case 'stream-open':
      return `${message.service} stream ${message.streamId} open`;
    case 'stream-send':
      return `stream ${message.streamId} request`;
    case 'stream-close':
      return `stream ${message.streamId} close`;
    case 'stream-message':
      return `stream ${message.streamId} response`;
    case 'stream-end':
      return `stream ${message.streamId} end`;
    case 'disconnect':
      return 'disconnect';
    case 'reset':
      return 'connection reset';
    case 'resource-write':
      return `write token ${message.fencingToken} #${message.requestId}`;
    case 'resource-result':
      return `write result #${message.requestId}`;
  }
}
