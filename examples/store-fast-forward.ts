// The store on a virtual clock: fast-forward a TTL instead of sleeping.
// Run: npx tsx examples/store-fast-forward.ts
import { EtcdStore, VirtualClock, runStoreLoops, utf8 } from 'leaselab';

export function fastForward(): number {
  const clock = new VirtualClock();
  const store = new EtcdStore({ clock });
  runStoreLoops(store, clock);                       // etcd's 500 ms expiry sweep, watch resync
  const { ID } = store.leaseGrant({ TTL: 5 });
  store.put({ key: utf8('/cron/job1'), value: utf8('me'), lease: ID });
  clock.advance(5_500);                              // fast-forward instead of sleeping
  return store.range({ key: utf8('/cron/job1') }).count;    // 0: expired at the sweep after the deadline
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`keys left after 5.5 s: ${fastForward()}`);
