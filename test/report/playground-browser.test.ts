// The playground in a real browser: `leaselab playground` started on a free
// port, Debian's chromium (headless, playwright-core) at 1400 and 800 px. The
// test picks a lock, injects a pause while alice holds it (with the button,
// then by clicking her lane's name), steps, and reads the verdict: two holders
// for the naive lock, safe (the stale write rejected) for the fenced one. The
// page's trace digest matches the same run in Node. The static page written by
// `--out` opens from file:// and asks the network for nothing. Screenshots go
// to LEASELAB_SCREENSHOTS, or a temp dir it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './headless-chromium.ts';
import { encodeSetup, injectedFault, injectedServerRestart, runPlayground, type ScenarioSetup } from '../../src/playground/playground-run.ts';
import { cli } from '../cli/in-process-cli.ts';
import { lockSetup } from '../playground/lock-setup.ts';
import { scrubTo, watchedPage } from './viewer-page.ts';

const hasChromium = chromiumMissing('the browser tests of the playground') === undefined;

const bin = fileURLToPath(new URL('../../bin/leaselab.js', import.meta.url));
const widths = [1400, 800] as const;

/** Run the CLI until it prints a line matching `pattern` (a server keeps running). */
function startCli(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`leaselab ${args.join(' ')} printed no ${pattern}: ${out}${err}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = pattern.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (pattern.exec(out) === null) reject(new Error(`leaselab ${args.join(' ')} exited ${code}: ${out}${err}`));
    });
  });
}

describe.skipIf(!hasChromium)('playground in chromium', () => {
  let server: ChildProcess | undefined;
  let url = '';
  let context: BrowserContext;
  let profileDir: string;
  let outDir: string;
  const screenshotsDir = process.env.LEASELAB_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'leaselab-screenshots-'));

  beforeAll(async () => {
    // port 0: the OS picks a free one, the command prints it
    const started = await startCli(['playground', '--port', '0'], /http:\/\/127\.0\.0\.1:(\d+)\//);
    server = started.child;
    url = started.match[0];
    profileDir = mkdtempSync(join(tmpdir(), 'leaselab-chromium-'));
    outDir = mkdtempSync(join(tmpdir(), 'leaselab-playground-'));
    context = await launchChromium(profileDir);
    // Nothing may leave the machine: only the playground's own page and file:// load.
    await context.route(
      (candidate) => !candidate.href.startsWith(url) && candidate.protocol !== 'file:',
      (route) => route.abort(),
    );
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    server?.kill('SIGTERM');
    rmSync(profileDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
    console.log(`playground screenshots in ${screenshotsDir}`);
  });

  async function open(address: string, width: number): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const { page, errors, requests } = await watchedPage(context, width);
    await page.goto(address);
    await page.waitForSelector('body[data-playground=ready]', { timeout: 30_000 });
    return { page, errors, requests };
  }

  const runs = async (page: Page) => Number(await page.getAttribute('body', 'data-runs'));

  /** Do something that reruns the simulator, and wait for the new run to be drawn. */
  async function rerun(page: Page, action: () => Promise<void>): Promise<void> {
    const before = await runs(page);
    await action();
    await page.waitForFunction(`Number(document.body.getAttribute('data-runs')) > ${before}`, undefined, { timeout: 30_000 });
  }

  const timeShownMs = async (page: Page) => Math.round(Number((await page.textContent('#time-label'))!.replace(/[^\d.]/g, '')) * 1000);

  for (const width of widths) {
    it(`at ${width} px: a pause injected into the naive lock makes two holders; the fenced lock rejects the stale write`, async () => {
      // when alice first holds the lock, from the same run in Node
      const plain = await runPlayground(lockSetup('naive'));
      const held = plain.model.beliefs.find((belief) => belief[0] === 0)!;
      const atMs = held[3] + 50;

      const { page, errors, requests } = await open(url, width);
      expect((await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number).toBeLessThanOrEqual(0);
      // the default page is a scenario's story, drawn in the viewer
      expect(await page.locator('#timeline rect.lane').count()).toBeGreaterThan(2);
      await rerun(page, () => page.selectOption('#pg-what', 'lock:naive').then(() => undefined));
      expect(await page.getAttribute('#verdict', 'class')).toContain('ok');
      expect(await page.textContent('#pg-digest')).toContain(`trace ${plain.traceDigest}`);
      // inject: pause alice for 9 s at the cursor
      await scrubTo(page, atMs);
      await page.selectOption('#pg-fault', 'pause');
      await page.fill('#pg-fault-ms', '9000');
      await page.click('#zoom-in'); // injecting keeps the zoom
      await rerun(page, () => page.click('#pg-inject-buttons button[data-process=alice]'));
      expect(await page.textContent('#zoom-label')).toMatch(/^showing /);
      await page.click('#zoom-fit');
      expect(await page.textContent('#pg-injected')).toContain(`pause alice at ${(atMs / 1000).toFixed(3)} s for 9000 ms`);
      expect(await page.locator('#timeline rect.fault-pause').count()).toBe(1);
      expect(await page.getAttribute('#verdict', 'class')).toContain('unsafe');
      expect(await page.textContent('#verdict')).toMatch(/alice and \w+ both believed they held \/lock/);
      // the same setup in Node gives the same trace, and the replay line reruns it
      const paused = await runPlayground(lockSetup('naive', injectedFault('pause', 'alice', atMs, 9000)));
      expect(await page.textContent('#pg-digest')).toContain(`trace ${paused.traceDigest}`);
      expect(await page.textContent('#pg-replay')).toBe(paused.replay);
      // the cursor stayed where the fault went in; step forward to the overlap and see both holders
      expect(await timeShownMs(page)).toBe(atMs);
      const overlap = paused.model.overlaps[0]!;
      await scrubTo(page, overlap[1] - 1);
      for (let i = 0; i < 20 && (await timeShownMs(page)) < overlap[1]; i++) await page.click('#step-forward');
      expect(await timeShownMs(page)).toBe(overlap[1]);
      expect(await page.textContent('#state')).toContain('2 believe they hold it');
      await page.screenshot({ path: join(screenshotsDir, `playground-naive-pause-${width}.png`), fullPage: true });

      // the fenced lock, the fault injected by clicking alice's lane name
      await rerun(page, () => page.selectOption('#pg-what', 'lock:mutex-fenced').then(() => undefined));
      expect(await page.textContent('#pg-injected')).toBe('');
      await scrubTo(page, atMs);
      await page.locator('#timeline rect.lane[data-lane=alice]').scrollIntoViewIfNeeded();
      const lane = (await page.locator('#timeline rect.lane[data-lane=alice]').boundingBox())!;
      await rerun(page, () => page.mouse.click(lane.x + 20, lane.y + 10));
      expect(await page.textContent('#pg-injected')).toContain('pause alice');
      expect(await page.getAttribute('#verdict', 'class')).toContain('safe');
      expect(await page.textContent('#verdict')).toContain("safe: the stale write was rejected: storage turned away alice's token");
      expect(await page.locator('#timeline .write-rejected').count()).toBeGreaterThan(0);
      // undo takes the fault out again: the run without faults
      await rerun(page, () => page.click('#pg-undo'));
      expect(await page.getAttribute('#verdict', 'class')).toContain('ok');
      expect(await page.textContent('#pg-replay')).toBe((await runPlayground(lockSetup('mutex-fenced'))).replay);
      await page.screenshot({ path: join(screenshotsDir, `playground-fenced-${width}.png`), fullPage: true });

      expect(errors).toEqual([]);
      expect(requests.every((request) => request.startsWith(url))).toBe(true);
      await page.close();
    });
  }

  it('a link with the setup in its # reruns the same run; a scenario with a what-if knob shows its claims', async () => {
    const setup = lockSetup('mutex', injectedFault('crash', 'bob', 3000, 4000));
    const expected = await runPlayground(setup);
    const { page: first } = await open(url, 1400);
    await rerun(first, () => first.selectOption('#pg-what', 'scenario:pause-breaks-lock').then(() => undefined));
    await first.fill('#pg-ttl', '20');
    await rerun(first, () => first.click('#pg-run'));
    expect(await first.textContent('#pg-replay')).toBe('npx leaselab run pause-breaks-lock --seed 1 --ttl 20');
    // with a 20 s lease, alice's 8 s pause expires nothing: the story's claims fail
    expect(await first.locator('#pg-claims li.fails').count()).toBeGreaterThan(0);
    await first.close();
    const { page } = await open(`${url}#${encodeSetup(setup)}`, 1400);
    expect(await page.inputValue('#pg-what')).toBe('lock:mutex');
    expect(await page.textContent('#pg-injected')).toContain('crash bob at 3.000 s for 4000 ms');
    expect(await page.textContent('#pg-digest')).toContain(`trace ${expected.traceDigest}`);
    expect(await page.locator('#timeline rect.crash').count()).toBe(1);
    // a shift-click in carol's lane injects the fault at the time clicked (not at the cursor)
    await page.locator('#timeline rect.lane[data-lane=carol]').scrollIntoViewIfNeeded();
    const lane = (await page.locator('#timeline rect.lane[data-lane=carol]').boundingBox())!;
    await page.keyboard.down('Shift');
    await rerun(page, () => page.mouse.click(lane.x + lane.width / 2, lane.y + 10));
    await page.keyboard.up('Shift');
    const injected = (await page.textContent('#pg-injected'))!;
    const at = /pause carol at ([\d.]+) s/.exec(injected);
    expect(at).not.toBeNull();
    expect(Number(at![1])).toBeGreaterThan(10);
    expect(await timeShownMs(page)).toBe(Math.round(Number(at![1]) * 1000));
    // a click on the server lane's name restarts etcd at the cursor, down for the time given
    await page.fill('#pg-fault-ms', '2000');
    await page.locator('#timeline rect.lane[data-lane=server]').scrollIntoViewIfNeeded();
    const server = (await page.locator('#timeline rect.lane[data-lane=server]').boundingBox())!;
    await rerun(page, () => page.mouse.click(server.x + 20, server.y + 10));
    expect(await page.textContent('#pg-injected')).toContain(`etcd restarts at ${at![1]} s, down 2000 ms`);
    expect(await page.locator('#timeline rect.fault-serverRestart').count()).toBe(1);
    await page.close();
    // a link that holds no setup, or names what the page does not have: said, and the default shown
    const { page: broken } = await open(`${url}#bm9wZQ`, 1400);
    expect(await broken.textContent('#pg-status')).toContain('the link holds no playground setup (not a playground setup)');
    expect(await broken.inputValue('#pg-what')).toBe('scenario:pause-breaks-lock');
    await broken.close();
    const { page: unknown } = await open(`${url}#${encodeSetup({ ...setup, lock: 'bakery' })}`, 1400);
    expect(await unknown.textContent('#pg-status')).toContain('the link names a lock or scenario this playground does not have');
    await unknown.close();
  });

  it("a scenario with injected faults shows a `run … --fault` line that reruns the page's trace; a drift change changes the run", async () => {
    const setup: ScenarioSetup = {
      mode: 'scenario',
      scenario: 'lock-contention',
      seed: 1,
      knobs: {},
      injected: [...injectedFault('partition', 'bob', 2000, 5000), ...injectedServerRestart(6000, 500)],
    };
    const { page, errors } = await open(`${url}#${encodeSetup(setup)}`, 1400);
    const replay = (await page.textContent('#pg-replay'))!;
    expect(replay).toBe('npx leaselab run lock-contention --seed 1 --fault partition:bob@2000+5000 --fault restart:etcd@6000+500');
    const digest = /trace ([0-9a-f]{8})/.exec((await page.textContent('#pg-digest'))!)![1]!;
    const { stdout } = await cli(...replay.split(' ').slice(2));
    expect(stdout).toContain(`(trace ${digest})`);

    // the drift knob, drawn from client-clock-drift's declaration
    await rerun(page, () => page.selectOption('#pg-what', 'scenario:client-clock-drift').then(() => undefined));
    expect(await page.isVisible('#pg-drift')).toBe(true);
    expect(await page.isVisible('#pg-pause-at')).toBe(false);
    expect(await page.getAttribute('#pg-drift', 'min')).toBe('0.1');
    expect(await page.getAttribute('#pg-drift', 'max')).toBe('10');
    const slow = (await page.textContent('#pg-digest'))!;
    expect(await page.getAttribute('#verdict', 'class')).toContain('unsafe');
    await page.fill('#pg-drift', '2');
    await rerun(page, () => page.click('#pg-run'));
    expect(await page.textContent('#pg-replay')).toBe('npx leaselab run client-clock-drift --seed 1 --drift 2');
    const fast = await runPlayground({ mode: 'scenario', scenario: 'client-clock-drift', seed: 1, knobs: { driftRate: 2 }, injected: [] });
    expect(await page.textContent('#pg-digest')).toContain(`trace ${fast.traceDigest}`);
    expect(await page.textContent('#pg-digest')).not.toBe(slow);
    // a fast clock gives the lock up early: nobody holds it twice
    expect(await page.getAttribute('#verdict', 'class')).not.toContain('unsafe');
    // out of bounds: the form refuses it (the input's own bounds), nothing runs
    const before = await runs(page);
    await page.fill('#pg-drift', '50');
    await page.click('#pg-run');
    expect(await page.$eval('#pg-drift', (input) => (input as unknown as { validity: { rangeOverflow: boolean } }).validity.rangeOverflow)).toBe(true);
    await page.waitForTimeout(300);
    expect(await runs(page)).toBe(before);
    expect(await page.textContent('#pg-replay')).toBe('npx leaselab run client-clock-drift --seed 1 --drift 2');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('predict first: the question before the run is shown, the future covered until the answer, then judged', async () => {
    const { page, errors } = await open(url, 1400);
    await rerun(page, () => page.selectOption('#pg-what', 'scenario:crash-releases-lock').then(() => undefined));
    expect(await page.isVisible('#pg-predict')).toBe(false);
    await rerun(page, () => page.check('#pg-predict-on'));
    expect(await page.isVisible('#pg-predict')).toBe(true);
    expect(await page.textContent('#pg-predict-question')).toBe("Will bob hold the lock within one second of alice's crash?");
    expect(await page.textContent('#pg-predict-setup')).toContain("At 3 s alice's process crashes");
    expect(await page.getAttribute('body', 'data-future-hidden')).toBe('');
    expect(await page.locator('#timeline #future').count()).toBe(1);
    expect(await page.textContent('#pg-predict-result')).toBe('');
    // nothing on the page gives the answer away: the story, the verdict and the claims' details are hidden too
    expect(await page.isVisible('#pg-story-box')).toBe(false);
    expect(await page.locator('#pg-claims .claim-detail').first().isVisible()).toBe(false);
    await page.screenshot({ path: join(screenshotsDir, 'playground-predict-1400.png'), fullPage: true });
    await page.click('#pg-predict-yes');
    expect(await page.textContent('#pg-predict-result')).toMatch(/^Your prediction: yes\. Not this time: no: bob acquired at 7\.510s/);
    expect(await page.getAttribute('body', 'data-future-hidden')).toBeNull();
    expect(await page.locator('#timeline #future').count()).toBe(0);
    expect(await page.isDisabled('#pg-predict-no')).toBe(true);
    expect(await page.isVisible('#pg-story-box')).toBe(true);
    // a what-if run asks again, judged on that run
    await page.fill('#pg-ttl', '20');
    await rerun(page, () => page.click('#pg-run'));
    expect(await page.textContent('#pg-predict-result')).toBe('');
    await page.click('#pg-predict-no');
    expect(await page.textContent('#pg-predict-result')).toMatch(/^Your prediction: no\. Right: no: bob acquired at/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('every scenario and lock on offer runs in the page with its verdict, as it does in Node', async () => {
    const { page, errors } = await open(url, 1400);
    const offered = await page.$$eval('#pg-what option', (options) => options.map((option) => (option as unknown as { value: string }).value));
    expect(offered.length).toBeGreaterThan(10);
    for (const value of offered) {
      if (value !== (await page.inputValue('#pg-what'))) await rerun(page, () => page.selectOption('#pg-what', value).then(() => undefined));
      const [mode, name] = value.split(':') as ['lock' | 'scenario', string];
      const seed = Number(await page.inputValue('#pg-seed'));
      const expected = await runPlayground(mode === 'lock' ? { ...lockSetup(name), seed } : { mode, scenario: name, seed, knobs: {}, injected: [] });
      expect(await page.textContent('#pg-digest'), value).toContain(`trace ${expected.traceDigest}`);
      expect(await page.textContent('#verdict'), value).toContain(expected.model.verdict.text);
      expect(await page.locator('#timeline rect.lane').count(), value).toBe(expected.model.lanes.length);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('the static page from --out opens from file:// and asks the network for nothing', async () => {
    const written = await startCli(['playground', '--out', outDir], /wrote (\S+index\.html)/);
    expect(written.match[1]).toBe(join(outDir, 'index.html'));
    const { page, errors, requests } = await open(`file://${join(outDir, 'index.html')}`, 800);
    expect(requests.filter((request) => !request.startsWith('file:'))).toEqual([]);
    expect(await page.textContent('#verdict')).toContain('unsafe: storage accepted alice');
    await rerun(page, () => page.click('#pg-inject-buttons button[data-process=bob]'));
    expect(await page.textContent('#pg-injected')).toContain('pause bob at 0.000 s');
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(screenshotsDir, 'playground-static-800.png'), fullPage: true });
    await page.close();
  });
});
