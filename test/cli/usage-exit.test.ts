import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exitingOnUsage, UsageExit } from '../../src/cli/usage-exit.ts';

describe('exitingOnUsage', () => {
  const written: string[] = [];
  beforeEach(() => {
    written.length = 0;
    vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      written.push(String(text));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("returns the command's own exit code and writes nothing", async () => {
    expect(await exitingOnUsage(async () => 1)).toBe(1);
    expect(await exitingOnUsage(async () => 0)).toBe(0);
    expect(written).toEqual([]);
  });

  it('a UsageExit becomes exit code 2 with its text on stderr, as given', async () => {
    const code = await exitingOnUsage(async () => {
      throw new UsageExit('leaselab x: --seed takes a whole number\nusage: leaselab x\n');
    });
    expect(code).toBe(2);
    expect(written).toEqual(['leaselab x: --seed takes a whole number\nusage: leaselab x\n']);
  });

  it('any other error goes on up', async () => {
    await expect(
      exitingOnUsage(async () => {
        throw new RangeError('a bug');
      }),
    ).rejects.toThrow(RangeError);
    expect(written).toEqual([]);
  });
});
