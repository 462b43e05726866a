/**
 * Debian's chromium, headless, through playwright-core: the one browser the
 * browser tests use (`.ci/run` installs it). `chromiumMissing(what)` says why
 * a file's tests skip; `launchChromium` starts it on a throwaway profile with
 * nothing running in the background that would reach the network.
 */
import { existsSync } from 'node:fs';
import { type BrowserContext, chromium } from 'playwright-core';

const chromiumPath = '/usr/bin/chromium';

/** Why chromium cannot be used here (warned once per file), or undefined when it can. */
export function chromiumMissing(whatSkips: string): string | undefined {
  if (existsSync(chromiumPath)) return undefined;
  const reason = `chromium not installed (${chromiumPath}): apt-get install chromium; ${whatSkips} are skipped`;
  console.warn(reason);
  return reason;
}

/** A headless chromium on the profile directory `profileDir`. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
