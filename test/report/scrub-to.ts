/** Move a timeline page's scrubber to `ms`, as a user dragging it does (an `input` event). */
import type { Page } from 'playwright-core';

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
