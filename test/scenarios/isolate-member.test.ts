// isolateMember (src/scenarios/isolate-member.ts): one member cut off from every other member,
// both ways, and from nothing else.
import { describe, expect, it } from 'vitest';
import { isolateMember } from '../../src/scenarios/isolate-member.ts';
import { Sim } from '../../src/sim/index.ts';

async function isolated(members: number, member: string) {
  const sim = new Sim({ seed: 1, msMax: 3000, cluster: { members } });
  sim.at(1000, (world) => isolateMember(world, member));
  // A process that lives past the cut, so the cluster runs on after it.
  sim.process('watcher', async ({ sleep }) => {
    await sleep(2500);
  });
  const { trace } = await sim.run();
  return trace;
}

describe('isolateMember', () => {
  it('partitions the member from each other member, both ways, at the moment it is called', async () => {
    const trace = await isolated(3, 'etcd2');
    expect(trace.ofKind('fault').map(({ atMs, fault }) => ({ atMs, fault }))).toEqual([
      { atMs: 1000, fault: { kind: 'partition', from: 'etcd2', to: 'etcd1' } },
      { atMs: 1000, fault: { kind: 'partition', from: 'etcd2', to: 'etcd3' } },
    ]);
  });

  it('drops raft messages between the member and the others only, and none between the others', async () => {
    const trace = await isolated(5, 'etcd4');
    const cut = trace.ofKind('message-dropped').filter((event) => event.reason === 'partition');
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.every((event) => event.atMs >= 1000)).toBe(true);
    for (const event of cut) expect([event.from, event.to]).toContain('etcd4');
    const ends = new Set(cut.flatMap((event) => [event.from, event.to]));
    expect([...ends].sort()).toEqual(['etcd1', 'etcd2', 'etcd3', 'etcd4', 'etcd5']);
  });
});
