// Your existing etcd3 code against leaselab's gRPC server: fast-forward a TTL instead of sleeping.
// Run: npx tsx examples/etcd3-fast-forward.ts
import { Etcd3 } from 'etcd3';
import { startGrpcServer } from 'leaselab/server';

export async function leaseExpiresWithoutSleeping(): Promise<string | null> {
  const server = await startGrpcServer({ port: 0 });           // 127.0.0.1, a free port
  const client = new Etcd3({ hosts: server.address });
  try {
    const lease = client.lease(5, { autoKeepAlive: false });
    await lease.put('/cron/job1').value('me');
    server.advance(5_500);                                      // the lease expires now, at etcd's sweep
    return await client.get('/cron/job1').string();             // null
  } finally {
    client.close();
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`after 5.5 s: ${await leaseExpiresWithoutSleeping()}`);
