/**
 * The fast tier (`npm run test:unit`, which sets LEASELAB_QUICK=1) samples fewer cases in
 * loops and property tests, so the edit-run loop stays under ~30 s; `npm test` (CI) runs
 * every case. Seeds stay fixed, so the quick cases are the first cases of the full run.
 */
export const quickTier = process.env.LEASELAB_QUICK === '1';

/** `all` cases in the full suite, `quick` in the fast tier. */
export function casesFor(all: number, quick: number): number {
  return quickTier ? Math.min(all, quick) : all;
}
