// The README's etcd3 example does what the README says. Slow tier: it starts the
// gRPC server and the etcd3 client (test/readme.test.ts checks its text).
import { expect, it } from 'vitest';
import { leaseExpiresWithoutSleeping } from '../examples/etcd3-fast-forward.ts';

it('README: the etcd3 example (examples/etcd3-fast-forward.ts) sees the key gone without sleeping', async () => {
  expect(await leaseExpiresWithoutSleeping()).toBeNull();
});
