import { describe, expect, it } from 'vitest';
import { Network, type LatencyDistribution } from '../../src/sim/network.ts';
import { SimRandom } from '../../src/sim/random.ts';
import { Scheduler } from '../../src/sim/scheduler.ts';

const forever = { msMax: Number.POSITIVE_INFINITY, eventsMax: Number.POSITIVE_INFINITY };
const untilEmpty = { done: () => false, canWake: () => true };

/** alice and a fake server that echoes every message back; everything that arrives or is dropped is noted. */
function echoWorld(latencyMs: LatencyDistribution = { min: 1, max: 5 }, lossProbability = 0) {
  const scheduler = new Scheduler();
  const log: string[] = [];
  const network = new Network<string>(scheduler, new SimRandom(1), { latencyMs, lossProbability }, (from, to, payload, reason) =>
    log.push(`${scheduler.nowMs()} drop ${from}->${to} ${payload} ${reason}`),
  );
  network.attach('server', {
    quiet: true,
    deliver: (from, payload) => {
      log.push(`${scheduler.nowMs()} server<-${from} ${payload}`);
      network.send('server', from, `re:${payload}`);
    },
  });
  network.attach('alice', { quiet: false, deliver: (from, payload) => log.push(`${scheduler.nowMs()} alice<-${from} ${payload}`) });
  const send = (atMs: number, payload: string) => scheduler.at(atMs, () => network.send('alice', 'server', payload));
  return { scheduler, network, log, send, run: () => scheduler.run(forever, untilEmpty) };
}

describe('Network', () => {
  it('delays each message by a latency drawn per link, in order per direction', async () => {
    const { log, send, run, scheduler } = echoWorld({ min: 1, max: 50 });
    const arrivals: number[] = [];
    for (let i = 0; i < 200; i++) send(i, `m${i}`);
    await run();
    const atServer = log.filter((line) => line.includes('server<-'));
    expect(atServer.map((line) => line.split(' ').at(-1))).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    for (const line of atServer) arrivals.push(Number(line.split(' ')[0]));
    // never before send + min, and FIFO means non-decreasing arrival times
    arrivals.forEach((atMs, i) => expect(atMs).toBeGreaterThanOrEqual(i + 1));
    expect([...arrivals].sort((a, b) => a - b)).toEqual(arrivals);
    expect(new Set(arrivals.map((atMs, i) => atMs - i)).size).toBeGreaterThan(10);
    expect(scheduler.nowMs()).toBeLessThan(200 + 100);
  });

  it('loses messages with the configured probability', async () => {
    const { log, send, run } = echoWorld(1, 0.5);
    for (let i = 0; i < 400; i++) send(i, `m${i}`);
    await run();
    const lost = log.filter((line) => line.endsWith('loss')).length;
    // 400 requests and the echoes of those that arrived: about a quarter come back
    expect(log.filter((line) => line.includes('alice<-')).length).toBeGreaterThan(60);
    expect(log.filter((line) => line.includes('alice<-')).length).toBeLessThan(140);
    expect(lost).toBeGreaterThan(250);
  });

  it('drops messages across a partition, both ways or one way, until healed', async () => {
    const { log, send, run, network, scheduler } = echoWorld(2);
    scheduler.at(0, () => network.partition({ from: 'alice', to: 'server' }));
    send(1, 'cut');
    scheduler.at(10, () => network.heal());
    scheduler.at(10, () => network.partition({ from: 'server', to: 'alice', oneWay: true }));
    send(11, 'half');
    scheduler.at(20, () => network.heal({ from: 'server', to: 'alice', oneWay: true }));
    send(21, 'whole');
    await run();
    expect(log).toEqual([
      '1 drop alice->server cut partition',
      '13 server<-alice half',
      '13 drop server->alice re:half partition',
      '23 server<-alice whole',
      '25 alice<-server re:whole',
    ]);
  });

  it('drops a message in flight when a partition starts before it arrives', async () => {
    const { log, send, run, network, scheduler } = echoWorld(10);
    send(0, 'flying');
    scheduler.at(5, () => network.partition({ from: 'alice', to: 'server' }));
    await run();
    expect(log).toEqual(['10 drop alice->server flying partition']);
  });

  it('holds messages until release, then delivers them in order', async () => {
    const { log, send, run, network, scheduler } = echoWorld(3);
    send(0, 'before');
    send(4, 'caught in flight');
    scheduler.at(5, () => network.hold({ from: 'alice', to: 'server', oneWay: true }));
    send(6, 'held1');
    scheduler.at(100, () => network.release());
    send(100, 'after');
    await run();
    expect(log).toEqual([
      '3 server<-alice before',
      '6 alice<-server re:before',
      '100 server<-alice caught in flight',
      '100 server<-alice held1',
      '103 alice<-server re:caught in flight',
      '103 server<-alice after',
      '103 alice<-server re:held1',
      '106 alice<-server re:after',
    ]);
  });

  it('keeps order and counts while a hold piles up messages behind ones already delivered', async () => {
    const { log, send, run, network, scheduler } = echoWorld(1);
    for (let i = 0; i < 3; i++) send(i, `early${i}`);
    scheduler.at(10, () => network.hold({ from: 'alice', to: 'server', oneWay: true }));
    for (let i = 0; i < 37; i++) send(11 + i, `held${i}`);
    const inFlight: number[] = [];
    scheduler.at(60, () => inFlight.push(network.inFlight));
    scheduler.at(60, () => network.release());
    await run();
    expect(inFlight).toEqual([37]);
    const atServer = log.filter((line) => line.includes('server<-')).map((line) => line.split(' ').at(-1));
    expect(atServer).toEqual([...Array.from({ length: 3 }, (_, i) => `early${i}`), ...Array.from({ length: 37 }, (_, i) => `held${i}`)]);
    expect(network.inFlight).toBe(0);
  });

  it('applies a latency spike to one link until it is restored', async () => {
    const { log, send, run, network, scheduler } = echoWorld(1);
    scheduler.at(0, () => network.setLatency(500, { from: 'alice', to: 'server', oneWay: true }));
    send(1, 'slow');
    scheduler.at(600, () => network.setLatency(undefined, { from: 'alice', to: 'server', oneWay: true }));
    send(600, 'fast');
    await run();
    expect(log).toEqual(['501 server<-alice slow', '502 alice<-server re:slow', '601 server<-alice fast', '602 alice<-server re:fast']);
  });
});
