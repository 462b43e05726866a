#!/usr/bin/env node
// The leaselab command: the built JavaScript in dist/ (`npm run build`; a
// fresh clone's `npm install` builds it). No transpiling at start.
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist')) throw error;
  process.stderr.write('leaselab: dist/ is missing: run `npm run build` (or `npm install`) in the leaselab checkout first\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
