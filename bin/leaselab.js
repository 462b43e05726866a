#!/usr/bin/env node
// The leaselab command: the built JavaScript in dist/ (`npm run build`; a
// fresh clone's `npm install` builds it). No transpiling at start.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('leaselab: dist/ is missing: run `npm run build` (or `npm install`) in the leaselab checkout first\n');
  process.exit(1);
}
const cli = await import(main.href);
process.exitCode = await cli.main(process.argv.slice(2), { ownProcess: true });
