// The timeline viewer in a real browser: Debian's chromium, headless, driven
// by playwright-core. Each page is opened at 1400 and 800 px; the test checks
// the lanes, the call intervals, that no two labels overlap, the scrubber,
// step and play, the state panel, hover and selection, and saves screenshots
// (to LEASELAB_SCREENSHOTS, or a temp dir it prints).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './headless-chromium.ts';
import { findScenario, runScenario } from '../../src/scenarios/index.ts';
import { etcdMutex } from '../../src/client/lock-algorithm.ts';
import { runReplayCase } from '../../src/explore/property.ts';
import { runLockWorkload } from '../../src/explore/workload.ts';
import { renderHtmlTimeline } from '../../src/index.ts';
import type { TimelineModel } from '../../src/report/timeline-model.ts';
import { scrubTo, watchedPage } from './viewer-page.ts';
import { pausedPastTtlCase } from '../fixtures/paused-past-ttl-case.ts';

const hasChromium = chromiumMissing('the browser tests of the timeline viewer') === undefined;

const widths = [1400, 800] as const;

describe.skipIf(!hasChromium)('timeline viewer in chromium', () => {
  let context: BrowserContext;
  let profileDir: string;
  let pagesDir: string;
  const screenshotsDir = process.env.LEASELAB_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'leaselab-screenshots-'));

  beforeAll(async () => {
    profileDir = mkdtempSync(join(tmpdir(), 'leaselab-chromium-'));
    pagesDir = mkdtempSync(join(tmpdir(), 'leaselab-pages-'));
    context = await launchChromium(profileDir);
    // Nothing may leave the page: fail any request that is not the page itself.
    await context.route(/^(?!file:)/, (route) => route.abort());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    rmSync(profileDir, { recursive: true, force: true });
    rmSync(pagesDir, { recursive: true, force: true });
    console.log(`timeline screenshots in ${screenshotsDir}`);
  });

  async function scenarioPage(name: string): Promise<string> {
    const scenario = findScenario(name)!;
    const run = await runScenario(scenario);
    return renderHtmlTimeline(run.result.trace, { title: `${name}: ${scenario.title}`, description: [scenario.summary], assertions: run.assertions });
  }

  async function open(name: string, html: string, width: number): Promise<{ page: Page; model: TimelineModel; errors: string[]; requests: string[] }> {
    const file = join(pagesDir, `${name}.html`);
    writeFileSync(file, html);
    const { page, errors, requests } = await watchedPage(context, width, (url) => !url.startsWith('file:'));
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-viewer=ready]', { timeout: 20_000 });
    const model = JSON.parse((await page.textContent('#timeline-data'))!) as TimelineModel;
    return { page, model, errors, requests };
  }

  /** The checks every page passes at every width. */
  async function checkPage(name: string, html: string, width: number): Promise<{ page: Page; model: TimelineModel }> {
    const { page, model, errors, requests } = await open(name, html, width);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    // fits the window: nothing cut off on the right
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    const svgBox = (await page.locator('#timeline').boundingBox())!;
    expect(svgBox.x + svgBox.width).toBeLessThanOrEqual(width);
    // a lane per process, the server and each resource
    const lanes = await page.$$eval('#timeline rect.lane', (rects) => rects.map((rect) => rect.getAttribute('data-lane')));
    expect(lanes).toEqual(model.lanes.map((lane) => lane.name));
    // every call is drawn as an interval with its outcome
    const calls = await page.$$eval('#timeline rect.call', (rects) =>
      rects.map((rect) => ({ width: Number(rect.getAttribute('width')), outcome: rect.getAttribute('class')!.split('call-')[1] })),
    );
    // (a row of 40 calls or more is a path per outcome: none on these pages)
    expect(await page.locator('#timeline path.calls-dense').count()).toBe(0);
    expect(calls).toHaveLength(model.calls.length);
    expect(calls.every((call) => call.width >= 2)).toBe(true);
    expect(calls.map((call) => call.outcome).sort()).toEqual(model.calls.map((call) => call[4]).sort());
    // no two labels overlap
    expect(await noOverlappingLabels(page)).toEqual([]);
    // the legend lists only what is drawn, and something is drawn
    const legend = await page.$$eval('#legend [data-legend]', (spans) => spans.map((span) => span.getAttribute('data-legend')));
    expect(legend.length).toBeGreaterThan(3);
    if (model.beliefs.length === 0) expect(legend).not.toContain('belief');
    if (model.overlaps.length === 0) expect(legend).not.toContain('overlap');
    // the verdict banner says what the model says
    expect(await page.textContent('#verdict')).toContain(model.verdict.text);
    await page.screenshot({ path: join(screenshotsDir, `${name}-${width}.png`), fullPage: true });
    return { page, model };
  }

  /** Pairs of labels in the picture whose boxes intersect. */
  async function noOverlappingLabels(page: Page): Promise<string[]> {
    return page.$$eval('#timeline text', (texts) => {
      const boxes = texts.map((text) => ({ text: text.textContent, box: text.getBoundingClientRect() })).filter((entry) => entry.box.width > 0);
      const found: string[] = [];
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!.box;
          const b = boxes[j]!.box;
          if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
            found.push(`${boxes[i]!.text} / ${boxes[j]!.text}`);
        }
      return found;
    });
  }

  // Load-to-ready of a long run's page, reported (not asserted: this machine is shared): from navigation
  // start to the lanes on screen drawn and painted, and to every lane drawn.
  it('a 10-minute, 20-client page: every lane drawn; load-to-ready reported', async () => {
    const run = await runLockWorkload(etcdMutex, { seed: 1, clients: 20, durationMs: 600_000 }, [
      { atMs: 100_000, fault: { kind: 'pause', process: 'alice' } },
      { atMs: 108_000, fault: { kind: 'resume', process: 'alice' } },
    ]);
    const html = renderHtmlTimeline(run.trace, { title: 'ten minutes' });
    const report: string[] = [];
    // the same page with a rect per call (as before dense rows became paths), loaded in turn with it: reported beside
    const rectsHtml = html.replace(/<body\b/, '<body data-call-rects');
    expect(rectsHtml).not.toBe(html);
    for (const width of widths) {
      const rectTimings: number[][] = [];
      const timings: number[][] = [];
      for (let i = 0; i < 3; i++) {
        const { page, model, errors } = await open(`ten-minutes-${width}`, html, width);
        await page.waitForSelector('body[data-painted-ms]');
        timings.push(
          await Promise.all(['data-screen-ms', 'data-painted-ms', 'data-ready-ms'].map(async (name) => Number(await page.getAttribute('body', name)))),
        );
        expect(errors).toEqual([]);
        expect(await page.locator('#timeline rect.lane').count()).toBe(model.lanes.length);
        // dense call rows are a path per outcome (path.calls-dense, data-calls: how many calls each holds); the rest rects
        const inPaths = await page.$$eval('#timeline path.calls-dense', (paths) => paths.map((path) => Number(path.getAttribute('data-calls'))));
        expect(inPaths.length).toBeGreaterThan(0);
        expect(inPaths.reduce((a, b) => a + b, 0) + (await page.locator('#timeline rect.call').count())).toBe(model.calls.length);
        if (i === 0) {
          // hovering a call in a dense row tells its details and outlines it, as a rect call would
          const picture = (await page.locator('#timeline path.calls-dense.call-ok').first().boundingBox())!;
          let found = false;
          for (let dx = 4; dx < picture.width && !found; dx += 3) {
            await page.mouse.move(picture.x + dx, picture.y + picture.height / 2);
            found = (await page.locator('#tooltip').isVisible()) && /: sent \d+\.\d{3} ?s/.test((await page.textContent('#tooltip'))!);
          }
          expect(found).toBe(true);
          expect(await page.locator('#timeline rect.dense-hl').count()).toBe(1);
          await page.mouse.move(0, 0);
          await page.screenshot({ path: join(screenshotsDir, `ten-minutes-${width}.png`) });
        }
        await page.close();
        const rects = await open(`ten-minutes-rects-${width}`, rectsHtml, width);
        await rects.page.waitForSelector('body[data-painted-ms]');
        rectTimings.push(
          await Promise.all(['data-screen-ms', 'data-painted-ms', 'data-ready-ms'].map(async (name) => Number(await rects.page.getAttribute('body', name)))),
        );
        expect(rects.errors).toEqual([]);
        expect(await rects.page.locator('#timeline rect.call').count()).toBe(rects.model.calls.length);
        await rects.page.close();
      }
      const median = (k: number, of = timings) => of.map((t) => t[k]!).sort((a, b) => a - b)[1];
      report.push(
        `${width} px: first screen drawn ${median(0)} ms, painted ${median(1)} ms, every lane ${median(2)} ms ` +
          `(a rect per call: ${median(0, rectTimings)}, ${median(1, rectTimings)}, ${median(2, rectTimings)} ms)`,
      );
    }
    console.log(`10-minute, 20-client page (${Math.round(html.length / 1024)} KB), load-to-ready medians of 3 (loaded in turn): ${report.join('; ')}`);
  }, 120_000);

  for (const width of widths) {
    it(`pause-breaks-lock at ${width} px: two holders, the state at t, scrub, step, play, hover and select`, async () => {
      const { page, model } = await checkPage('pause-breaks-lock', await scenarioPage('pause-breaks-lock'), width);
      expect(await page.locator('#timeline rect.overlap').count()).toBe(2);
      expect(await page.locator('#timeline .write-stale').count()).toBe(1);
      expect(await page.locator('#timeline rect.fault-pause').count()).toBe(1);
      expect(await page.locator('#timeline rect.sweep').count()).toBeGreaterThan(0);
      // the state at 9 s: alice (paused) and bob both believe; bob's key is first on the server
      await scrubTo(page, 9000);
      expect(await page.textContent('#time-label')).toBe('t = 9.000 s');
      const state = (await page.textContent('#state'))!;
      expect(state).toContain('2 believe they hold it');
      expect(state).toContain('alice (token 2, paused)');
      expect(state).toMatch(/server: bob owns it/);
      expect(state).toMatch(/\/lock\/\S+/);
      // at the cursor, the live lease (bob's) shows its server and client deadlines ahead of now
      expect(await page.locator('#deadlines path.deadline-now').count()).toBe(1);
      expect(await page.locator('#deadlines path.local-deadline-now').count()).toBe(1);
      // step forward lands on the next event after 9 s
      await page.click('#step-forward');
      const next = Number((await page.textContent('#time-label'))!.replace(/[^\d.]/g, '')) * 1000;
      expect(next).toBeGreaterThan(9000);
      await page.click('#step-back');
      expect(Number((await page.textContent('#time-label'))!.replace(/[^\d.]/g, '')) * 1000).toBeLessThanOrEqual(9000);
      // zoom in around the cursor: a narrower window, finer ticks, labels still apart; fit shows the whole run again
      const ticksBefore = await page.locator('#timeline > text').count();
      await page.click('#zoom-in');
      await page.click('#zoom-in');
      expect(await page.textContent('#zoom-label')).toMatch(/^showing [\d.]+ s – [\d.]+ s$/);
      expect(await page.$eval('#cursor', (line) => (line as unknown as { style: { display: string } }).style.display)).toBe('');
      expect(await noOverlappingLabels(page)).toEqual([]);
      await page.click('#zoom-fit');
      expect(await page.textContent('#zoom-label')).toBe('');
      expect(await page.locator('#timeline > text').count()).toBe(ticksBefore);
      // play moves time on, pause stops it
      await scrubTo(page, 0);
      await page.click('#play');
      await page.waitForFunction("document.getElementById('time-label').textContent !== 't = 0.000 s'", undefined, { timeout: 5000 });
      await page.click('#play');
      const stopped = await page.textContent('#time-label');
      await page.waitForTimeout(150);
      expect(await page.textContent('#time-label')).toBe(stopped);
      // hovering a write call draws its request to the server and the answer back
      expect(model.calls.some((call) => call[3] === 'txn' && call[6] >= call[1] && call[6] <= call[2])).toBe(true);
      await page.locator('#timeline rect.call[data-applied]').first().hover({ force: true });
      expect(await page.locator('#arrows line').count()).toBe(2);
      expect(await page.textContent('#tooltip')).toContain('applied by the server at');
      await page.mouse.move(0, 0);
      // the "arrows" box draws every call's request and answer at once, and takes them away again
      expect(await page.locator('#all-arrows').count()).toBe(0);
      await page.check('#arrows-all');
      expect(Number(await page.getAttribute('#all-arrows', 'data-count'))).toBe(model.calls.filter((call) => call[6] >= 0).length);
      expect((await page.getAttribute('#all-arrows path.arrows-request', 'd'))!.length).toBeGreaterThan(20);
      await page.click('#zoom-in');
      expect(await page.locator('#all-arrows').count()).toBe(1);
      await page.click('#zoom-fit');
      await page.uncheck('#arrows-all');
      expect(await page.locator('#all-arrows').count()).toBe(0);
      // "hide the future" covers what comes after the cursor, and follows it
      await page.check('#future-hide');
      const cover = page.locator('#future rect');
      const coverX = Number(await cover.getAttribute('x'));
      expect(coverX).toBeGreaterThan(Number(await page.getAttribute('#cursor', 'x1')));
      await scrubTo(page, 12_000);
      expect(Number(await cover.getAttribute('x'))).toBeGreaterThan(coverX);
      // the verdict tells the end: veiled until the cursor gets there
      expect(await page.getAttribute('body', 'data-future-hidden')).toBe('');
      expect(await page.evaluate("getComputedStyle(document.querySelector('#verdict .tag')).visibility")).toBe('hidden');
      await scrubTo(page, model.endMs);
      expect(await page.getAttribute('body', 'data-future-hidden')).toBeNull();
      await page.uncheck('#future-hide');
      expect(await page.locator('#future').count()).toBe(0);
      // hovering alice's belief shows its details; clicking selects it and highlights her lease
      const belief = page.locator('#timeline rect.belief').first();
      await belief.hover();
      expect(await page.textContent('#tooltip')).toContain('alice believes it holds /lock');
      await belief.click();
      expect(await page.textContent('#details')).toContain('alice believes it holds /lock');
      expect(await page.locator('#timeline rect.lease.hl').count()).toBeGreaterThan(0);
      expect(model.overlaps).toHaveLength(1);
      await page.close();
    });

    it(`fencing-saves-the-day at ${width} px: the rejection is the safe outcome`, async () => {
      const { page } = await checkPage('fencing-saves-the-day', await scenarioPage('fencing-saves-the-day'), width);
      expect(await page.getAttribute('#verdict', 'class')).toContain('safe');
      expect(await page.textContent('#verdict')).toContain('safe: the stale write was rejected');
      expect(await page.locator('#timeline .write-rejected').count()).toBe(1);
      expect(await page.locator('#timeline .write-stale').count()).toBe(0);
      const legend = await page.textContent('#legend');
      expect(legend).toContain('stale write rejected (safe)');
      expect(legend).not.toContain('stale write accepted');
      // it follows the window's width
      const before = Number(await page.getAttribute('#timeline', 'width'));
      const narrower = Math.round(width * 0.64);
      await page.setViewportSize({ width: narrower, height: 900 });
      await page.waitForFunction(`Number(document.getElementById('timeline').getAttribute('width')) !== ${before}`, undefined, { timeout: 5000 });
      expect(Number(await page.getAttribute('#timeline', 'width'))).toBeLessThanOrEqual(narrower);
      expect((await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number).toBeLessThanOrEqual(0);
      expect(await noOverlappingLabels(page)).toEqual([]);
      await page.close();
    });

    it(`delayed-write at ${width} px: the write drawn from send to its late arrival`, async () => {
      const { page, model } = await checkPage('delayed-write', await scenarioPage('delayed-write'), width);
      const held = model.writes.find((write) => write[3] - write[2] > 5000)!;
      expect(held).toBeDefined();
      const flight = page.locator('#timeline line.write-flight[stroke-dasharray]');
      expect(await flight.count()).toBe(1);
      const x1 = Number(await flight.getAttribute('x1'));
      const x2 = Number(await flight.getAttribute('x2'));
      expect(x2 - x1).toBeGreaterThan(width / 4);
      expect(await page.locator('#timeline rect.link-hold').count()).toBe(2);
      await page.close();
    });

    it(`watch-sees-expiry, crash-releases-lock and partition-expires-lease at ${width} px`, async () => {
      const watch = await checkPage('watch-sees-expiry', await scenarioPage('watch-sees-expiry'), width);
      expect(await watch.page.locator('#timeline .watch-event').count()).toBeGreaterThanOrEqual(2);
      await scrubTo(watch.page, watch.model.expiries[0]![0]);
      expect(await watch.page.textContent('#state')).toContain('no keys');
      await scrubTo(watch.page, watch.model.expiries[0]![0] - 1);
      expect(await watch.page.textContent('#state')).toContain('/jobs/a');
      await watch.page.close();
      const crash = await checkPage('crash-releases-lock', await scenarioPage('crash-releases-lock'), width);
      expect(await crash.page.locator('#timeline rect.crash').count()).toBe(1);
      await crash.page.close();
      const partition = await checkPage('partition-expires-lease', await scenarioPage('partition-expires-lease'), width);
      // the cut is drawn on alice's link strip; the server lane has no fault shading
      expect(await partition.page.locator('#timeline rect.link-partition').count()).toBe(1);
      expect(await partition.page.locator('#timeline rect.fault').count()).toBe(0);
      await partition.page.close();
    });

    it(`leader-isolated at ${width} px: a lane per member with its raft role over time, leader changes marked`, async () => {
      const { page, model } = await checkPage('leader-isolated', await scenarioPage('leader-isolated'), width);
      const members = model.lanes.filter((lane) => lane.kind === 'member').map((lane) => lane.name);
      expect(members).toEqual(['etcd1', 'etcd2', 'etcd3']);
      // one rect per role span, each inside its member's lane band
      const roles = await page.$$eval('#timeline rect.role', (rects) =>
        rects.map((rect) => ({ role: rect.getAttribute('class')!.split('role-')[1], y: Number(rect.getAttribute('y')) })),
      );
      expect(roles.map((role) => role.role).sort()).toEqual(model.roles.map((role) => role[1]).sort());
      const bands = await page.$$eval('#timeline rect.lane', (rects) =>
        rects.map((rect) => ({ name: rect.getAttribute('data-lane'), top: Number(rect.getAttribute('y')), height: Number(rect.getAttribute('height')) })),
      );
      const laneAt = (y: number) => bands.find((candidate) => y >= candidate.top && y < candidate.top + candidate.height)?.name;
      const leaderLanes = roles.filter((role) => role.role === 'leader').map((role) => laneAt(role.y));
      expect(leaderLanes.sort()).toEqual(
        model.roles
          .filter((role) => role[1] === 'leader')
          .map((role) => model.lanes[role[0]]!.name)
          .sort(),
      );
      // each election marked on the new leader's lane, later ones dashed across the members
      expect(await page.locator('#timeline path.leader-elected').count()).toBe(model.leaderChanges.length);
      expect(await page.locator('#timeline line.leader-change').count()).toBe(model.leaderChanges.length - 1);
      const legend = await page.$$eval('#legend [data-legend]', (spans) => spans.map((span) => span.getAttribute('data-legend')));
      expect(legend).toEqual(expect.arrayContaining(['role-leader', 'role-follower', 'role-candidate', 'leader-elected']));
      // the partition between members is drawn on the members' link strips
      expect(await page.locator('#timeline rect.link-partition').count()).toBeGreaterThanOrEqual(2);
      // hovering a role span tells member, role and term; the state panel lists roles at t
      const etcd2 = model.lanes.findIndex((lane) => lane.name === 'etcd2');
      await page.locator(`#timeline [data-lane-g="${etcd2}"] rect.role-leader`).hover({ force: true });
      expect(await page.textContent('#tooltip')).toContain('etcd2: leader in term 1');
      await scrubTo(page, 6000);
      const state = (await page.textContent('#state'))!;
      expect(state).toContain('etcd3: leader, term 2');
      expect(state).toContain('etcd1: follower, term 2 (of etcd3)');
      await page.close();
      // leader restarts: the leader that went down is drawn down until it rejoins as a follower
      // (open, not checkPage: alice's polls over 30 minutes make dense call rows)
      const restarts = await open('leader-changes-keep-lease', await scenarioPage('leader-changes-keep-lease'), width);
      expect(restarts.errors).toEqual([]);
      expect(await noOverlappingLabels(restarts.page)).toEqual([]);
      expect(await restarts.page.locator('#timeline rect.role-down').count()).toBe(restarts.model.roles.filter((role) => role[1] === 'down').length);
      expect(restarts.model.roles.filter((role) => role[1] === 'down')).toHaveLength(4);
      expect(await restarts.page.locator('#timeline path.leader-elected').count()).toBe(5);
      await restarts.page.screenshot({ path: join(screenshotsDir, `leader-changes-keep-lease-${width}.png`), fullPage: true });
      await restarts.page.close();
    });

    it(`an explore counterexample at ${width} px: the violation marked, every lane drawn`, async () => {
      const judged = await runReplayCase(etcdMutex, pausedPastTtlCase);
      expect(judged.violations.length).toBeGreaterThan(0);
      const html = renderHtmlTimeline(judged.run.trace, { title: 'explore etcd-mutex', violations: judged.violations });
      const { page, model } = await checkPage('explore-mutex-pause', html, width);
      expect(model.lanes.filter((lane) => lane.kind === 'process')).toHaveLength(5);
      expect(await page.locator('#timeline line.violation').count()).toBe(judged.violations.length);
      // A pause past the TTL: the explorer calls the overlap a known limitation of lease locks, and the banner says so.
      expect(judged.violations[0]!.verdict).toBe('limitation');
      expect(await page.textContent('#verdict')).toContain(`${judged.violations[0]!.property}: known limitation of lease locks`);
      await page.close();
    });
  }
});
