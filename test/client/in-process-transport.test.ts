// The in-process transport's keepalive stream on a store with a lessor: a lease past its
// deadline but not yet revoked is answered TTL 0 only once the lessor revokes it (etcd's
// Renew waits for the revoke), and requests behind it on the stream wait too.
import { describe, expect, it } from 'vitest';
import { InProcessTransport } from '../../src/client/in-process-transport.ts';
import { utf8 } from '../../src/store/bytes.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import type { LeaseKeepAliveResponse } from '../../src/store/messages.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('InProcessTransport keepalive', () => {
  it('holds the answer for an expired, unswept lease until the revoke; requests behind it wait', async () => {
    const clock = new VirtualClock();
    const store = new EtcdStore({ clock });
    store.leaseGrant({ ID: 5n, TTL: 2 });
    store.leaseGrant({ ID: 6n, TTL: 10 });
    store.put({ key: utf8('k'), lease: 5n }); // rev 2
    const answers: string[] = [];
    const stream = new InProcessTransport(store).openKeepAlive({
      message: (response: LeaseKeepAliveResponse) => answers.push(`${response.ID} TTL ${response.TTL} rev ${response.header.revision}`),
      end: () => answers.push('end'),
    });
    clock.advanceTo(2100);
    stream.send({ ID: 5n });
    stream.send({ ID: 6n });
    await settle();
    expect(answers).toEqual([]);
    expect(store.range({ key: utf8('k') }).kvs.length).toBe(1);
    store.sweepExpiredLeases(); // rev 3
    await settle();
    expect(answers).toEqual(['5 TTL 0 rev 2', '6 TTL 10 rev 3']);
    stream.send({ ID: 5n }); // gone now: answered at once
    await settle();
    expect(answers.at(-1)).toBe('5 TTL 0 rev 3');
  });
});
