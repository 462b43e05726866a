// Preloaded (node --require) by bench/cli.ts into each command it times: writes the process's CPU time
// (user + system, all threads, ms) to stderr as it exits.
const { writeSync } = require('node:fs');

process.on('exit', () => {
  const usage = process.cpuUsage();
  writeSync(2, `\nleaselab-bench-cpu-ms ${(usage.user + usage.system) / 1000}\n`);
});
