import { describe, expect, it } from 'vitest';
import { findScenario, runScenario } from '../../src/scenarios/index.ts';
import { renderTextTimeline } from '../../src/report/text-timeline.ts';

async function trace(name: string) {
  return (await runScenario(findScenario(name)!)).result.trace;
}

describe('renderTextTimeline', () => {
  it('shows virtual time, who, revisions, lease TTLs and lock holders', async () => {
    const text = renderTextTimeline(await trace('pause-breaks-lock'), { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/time\s+who\s+what/);
    expect(text).toMatch(/^ {2}0\.004s {2}server {3}lease [0-9a-f]+ granted to alice: ttl 5s, deadline 5\.004s/m);
    expect(text).toMatch(/7\.500s {2}server .*expired at the sweep: its keys deleted in one write, rev 4/);
    expect(text).toContain('🔒 believes it holds /lock');
    expect(text).toContain('holder of /lock: alice (token 2)');
    expect(text).toContain('⚠ TWO HOLDERS of /lock: alice (token 2, paused), bob (token 3)');
    expect(text).toContain('⏸ pause alice');
    expect(text).toContain('accepted STALE write "alice: step 2"');
  });

  it('merges a call and its answer on one line in compact mode', async () => {
    const text = renderTextTimeline(await trace('lease-expiry'), { color: false });
    expect(text).toMatch(/alice {4}put "\/cron\/lock\/job1" = "alice" with lease [0-9a-f]+ → ok, rev 2/);
    expect(text).toMatch(/ask lease [0-9a-f]+'s TTL → ttl 3s left of 5s/);
    expect(text).not.toContain('call #');
  });

  it('hides keepalive noise unless verbose, and says so', async () => {
    const t = await trace('lease-keepalive');
    const compact = renderTextTimeline(t, { color: false });
    const verbose = renderTextTimeline(t, { color: false, verbose: true });
    expect(compact).toContain('keeps lease');
    expect(compact).toMatch(/\(\d+ keepalive events hidden; --verbose shows every event\)/);
    expect(compact).not.toContain('keepalive sent');
    expect(verbose).toContain('keepalive sent lease');
    expect(verbose).toContain('call #1 leaseGrant');
    expect(verbose.split('\n').length).toBeGreaterThan(compact.split('\n').length);
  });

  it('colours only when asked', async () => {
    const t = await trace('crash-releases-lock');
    expect(renderTextTimeline(t, { color: false })).not.toContain('\u001b[');
    expect(renderTextTimeline(t, { color: true })).toContain('\u001b[');
  });

  it('tells a crash, a restart of the server and a partition apart', async () => {
    expect(renderTextTimeline(await trace('crash-releases-lock'), { color: false })).toContain('💥 crash alice');
    expect(renderTextTimeline(await trace('leader-change-extends-lease'), { color: false })).toMatch(
      /etcd restarts[\s\S]*up again as leader: 1 lease\(s\) promoted/,
    );
    const partition = renderTextTimeline(await trace('partition-expires-lease'), { color: false });
    expect(partition).toContain('✂ partition alice ↔ server');
    expect(partition).toMatch(/dropped alice → server: .* \(partition\); more like it hidden/);
  });
});
