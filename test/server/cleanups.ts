/**
 * What a test file starts and must stop: pushed as it is started, undone last
 * first after the file's tests (`'all'`) or after each test (`'each'`).
 *
 *   const cleanups = cleanupsAfter('all');
 *   cleanups.push(() => server.close());
 */
import { afterAll, afterEach } from 'vitest';
import { startEtcd } from './etcd-process.ts';

export type Cleanup = () => void | Promise<void>;

export function cleanupsAfter(when: 'all' | 'each'): Cleanup[] {
  const cleanups: Cleanup[] = [];
  (when === 'all' ? afterAll : afterEach)(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

/** A single-member etcd on loopback (etcd-process.ts), stopped with `cleanups`; its address. */
export async function startEtcdStoppedWith(cleanups: Cleanup[]): Promise<string> {
  const etcd = await startEtcd();
  cleanups.push(() => etcd.stop());
  return etcd.address;
}
