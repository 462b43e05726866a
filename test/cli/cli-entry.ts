// The leaselab command from the sources, for tests that start it as a child process (piped stdin, a pseudo-terminal).
import { main } from '../../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
