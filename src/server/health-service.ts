/**
 * grpc.health.v1.Health on the client port, as etcd registers it: the
 * server as a whole (service "") is SERVING; any other service name is
 * unknown (Check: NOT_FOUND "unknown service"; Watch: SERVICE_UNKNOWN, and
 * the stream stays open as grpc-go's health server keeps it).
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtoServices } from './proto-services.ts';
import { fileURLToPath } from 'node:url';

const protoPath = fileURLToPath(new URL('./proto/health.proto', import.meta.url));

let serviceCache: grpc.ServiceDefinition | undefined;
function healthService(): grpc.ServiceDefinition {
  if (serviceCache === undefined) {
    serviceCache = loadProtoServices(protoPath, { enums: String, defaults: true }).get('grpc.health.v1.Health')!;
  }
  return serviceCache;
}

type HealthRequest = { service: string };
type HealthResponse = { status: string };

export function addHealthService(server: grpc.Server): void {
  server.addService(healthService(), {
    Check: (call: grpc.ServerUnaryCall<HealthRequest, HealthResponse>, callback: grpc.sendUnaryData<HealthResponse>) => {
      if (call.request.service !== '') {
        callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        return;
      }
      callback(null, { status: 'SERVING' });
    },
    Watch: (call: grpc.ServerWritableStream<HealthRequest, HealthResponse>) => {
      call.write({ status: call.request.service === '' ? 'SERVING' : 'SERVICE_UNKNOWN' });
    },
  });
}
