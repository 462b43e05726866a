/**
 * `leaselab/server`: etcd v3's gRPC services (KV, Lease, Watch, and enough
 * Maintenance/Cluster for etcdctl) over an EtcdStore on a clock that follows
 * the wall clock and can be fast-forwarded: point the `etcd3` npm client or
 * etcdctl at `server.address`, and call `server.advance(ms)` instead of
 * sleeping. The only entry that loads @grpc/grpc-js.
 *
 *   import { startGrpcServer } from 'leaselab/server';
 *   const server = await startGrpcServer({ port: 0 });
 *
 * @defaultValue host 127.0.0.1, port 2379 (0 picks a free port)
 */
export { GrpcEtcdServer, startGrpcServer } from './grpc-server.ts';
export type { GrpcServerOptions } from './grpc-server.ts';
/** An HTTP endpoint (`POST /advance?ms=N`, `GET /time`) to fast-forward a server from outside its process. */
export { startControlEndpoint } from './grpc-control.ts';
export type { ControlEndpoint, ControlEndpointOptions } from './grpc-control.ts';
/** The loop that keeps the server's store on wall time (`server.driver`), and its intervals (`driver` option). */
export type { RealTimeDriver, RealTimeDriverOptions } from './real-time-driver.ts';
/**
 * A Transport for leaselab's client over gRPC, to any etcd endpoint (a real
 * etcd or `leaselab serve`) on real time: Session, Mutex, Election and lock
 * algorithms run against it unchanged. Here, not in `leaselab/client`, because
 * it loads @grpc/grpc-js.
 */
export { errorOfStatus, GrpcTransport } from './grpc-transport.ts';
export type { GrpcTransportOptions } from './grpc-transport.ts';
