/** How the cluster scenarios cut one member off: from every other member, both ways (its clients still reach it). */
import type { SimWorld } from '../sim/index.ts';

export function isolateMember(world: SimWorld<unknown>, member: string): void {
  for (const peer of world.members) if (peer !== member) world.partition(member, peer);
}
