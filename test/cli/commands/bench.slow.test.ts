// `leaselab bench` runs bench/index.ts of this checkout in a child process and exits with its status.
import { describe, expect, it } from 'vitest';
import { cli } from '../in-process-cli.ts';

describe('leaselab bench', () => {
  it("exits with the benchmark process's status: 0 when no area is selected, not 0 when its flags are wrong", async () => {
    expect((await cli('bench', '--only', 'no-such-area')).code).toBe(0);
    expect((await cli('bench', '--no-such-flag')).code).not.toBe(0);
  });
});
