/**
 * A free loopback TCP port, asked of the OS (listen on port 0, read the port,
 * close). Tests, scripts and benches that start real peers (etcd, serve) pick
 * their ports with it, never fixed ones.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
