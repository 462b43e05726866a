/**
 * One client port for gRPC and HTTP/1.1, as etcd serves it: etcdctl and the
 * gRPC clients speak HTTP/2 with prior knowledge, curl and readiness probes
 * speak HTTP/1.1 (`/health`, `/version`, `/metrics`, the `/v3/…` JSON
 * gateway). A plain TCP server reads a connection's first bytes: the HTTP/2
 * client preface (`PRI * HTTP/2.0`) goes to grpc-js through a connection
 * injector, anything else to node:http. With TLS the protocol is chosen by
 * ALPN: a client that offers only `h2` (every gRPC client) gets gRPC, one
 * that also offers `http/1.1` (curl) gets HTTP/1.1, one that offers nothing
 * is told apart by its first bytes as above.
 */
import * as grpc from '@grpc/grpc-js';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { handOverHttp2 } from './http2-handover.ts';

/** The HTTP/2 connection preface starts with these bytes; HTTP/1.1 never does. */
const http2PrefacePrefix = Buffer.from('PRI * HTTP/2.0');

/** Certificates for serving the client port over TLS (etcd's --cert-file, --key-file, --trusted-ca-file, --client-cert-auth). */
export interface ClientPortTls {
  cert: Buffer;
  key: Buffer;
  /** CA bundle that client certificates must chain to. */
  ca?: Buffer;
  /** Require and verify a client certificate (etcd --client-cert-auth). */
  requestClientCert: boolean;
}

export interface ClientPortOptions {
  host: string;
  port: number;
  /** Serves every HTTP/1.1 request on the port. */
  http: (request: IncomingMessage, response: ServerResponse) => void;
  tls?: ClientPortTls;
}

export interface ClientPort {
  readonly port: number;
  close(): void;
}

/** Whether `bytes` (a connection's first chunk) could be the start of the HTTP/2 preface. */
function looksLikeHttp2(bytes: Buffer): boolean {
  const length = Math.min(bytes.length, http2PrefacePrefix.length);
  return bytes.subarray(0, length).equals(http2PrefacePrefix.subarray(0, length));
}

/** Listen on host:port and split connections between grpc-js and node:http. */
export function listenClientPort(grpcServer: grpc.Server, options: ClientPortOptions): Promise<ClientPort> {
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const http: HttpServer = createHttpServer(options.http);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const byPreface = (socket: Socket) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      if (looksLikeHttp2(chunk)) {
        handOverHttp2(socket, (connection) => injector.injectConnection(connection));
        socket.resume();
      } else {
        http.emit('connection', socket);
        socket.resume(); // node:http does not resume a socket that was paused explicitly
      }
    });
    socket.on('error', () => socket.destroy());
  };

  let listener: NetServer;
  if (options.tls === undefined) {
    listener = createNetServer((socket) => {
      track(socket);
      byPreface(socket);
    });
  } else {
    const tls = options.tls;
    listener = createTlsServer(
      {
        cert: tls.cert,
        key: tls.key,
        ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        requestCert: tls.requestClientCert,
        rejectUnauthorized: tls.requestClientCert,
        // gRPC clients offer only h2; curl and browsers offer http/1.1 too and get it (grpc-js serves nothing but gRPC on h2).
        ALPNCallback: ({ protocols }: { protocols: string[] }) => (protocols.includes('http/1.1') ? 'http/1.1' : protocols.includes('h2') ? 'h2' : undefined),
      },
      (socket: TLSSocket) => {
        track(socket);
        if (socket.alpnProtocol === 'h2') handOverHttp2(socket, (connection) => injector.injectConnection(connection));
        else byPreface(socket);
      },
    );
    listener.on('connection', (socket: Socket) => track(socket));
    listener.on('tlsClientError', () => {});
  }

  return new Promise((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, options.host, () => {
      listener.off('error', reject);
      resolve({
        port: (listener.address() as AddressInfo).port,
        close: () => {
          listener.close();
          injector.destroy();
          http.closeAllConnections();
          http.close();
          for (const socket of sockets) socket.destroy();
        },
      });
    });
  });
}
