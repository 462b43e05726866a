// vitest globalSetup: tests that spawn the `leaselab` bin run dist/, the
// JavaScript users get. Rebuild it first when a source is newer than the last
// build, so those tests always exercise the current sources (a fresh clone's
// `npm install` has just built it: nothing to do then).
// @ts-expect-error scripts/build.mjs is plain JavaScript without declarations
import { build, isStale } from '../../scripts/build.mjs';

export default async function setup(): Promise<void> {
  if ((isStale as () => boolean)()) await (build as () => Promise<void>)();
}
