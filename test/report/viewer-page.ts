/**
 * What the browser tests do with a page of the timeline viewer or the
 * playground: open it at a width with its errors and network requests
 * recorded, and move its scrubber.
 */
import type { BrowserContext, Page } from 'playwright-core';

/**
 * A new page `width` px wide, recording page errors and console errors
 * (`errors`) and the requests it makes that `counts` (`requests`); navigate it yourself.
 */
export async function watchedPage(
  context: BrowserContext,
  width: number,
  counts: (url: string) => boolean = () => true,
): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('request', (request) => {
    if (counts(request.url())) requests.push(request.url());
  });
  return { page, errors, requests };
}

/** Move the page's scrubber to `ms`, as a user dragging it does (an `input` event). */
export async function scrubTo(page: Page, ms: number): Promise<void> {
  await page.$eval(
    '#scrubber',
    (element, value) => {
      (element as unknown as { value: string }).value = String(value);
      element.dispatchEvent(new Event('input'));
    },
    ms,
  );
}
