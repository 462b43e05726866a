// explore --shard i/n and explore-merge: the flag, the report a shard writes, and the merge that reads
// the reports back in case order (or says why it cannot).
import { describe, expect, it } from 'vitest';
import type { CaseFinding } from '../../src/explore/pool.ts';
import { asShardReport, explorationArgv, mergeShardReports, parseShard, type ShardReport, ShardMergeError, shardReport } from '../../src/explore/shard.ts';

/** A stand-in finding: the merge passes findings through untouched. */
const finding = (label: string) => ({ property: 'mutual-exclusion', failing: true, violation: { label } }) as unknown as CaseFinding;

describe('parseShard', () => {
  it('reads i/n (1-based, spaces allowed) as a 0-based index', () => {
    expect(parseShard('1/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 4 / 4 ')).toEqual({ index: 3, count: 4 });
    expect(parseShard('1/1')).toEqual({ index: 0, count: 1 });
  });

  it('refuses anything else with the reason', () => {
    expect(() => parseShard('1-4')).toThrow(new RangeError("--shard must be i/n (such as 1/4), got '1-4'"));
    expect(() => parseShard('1/4/2')).toThrow(RangeError);
    expect(() => parseShard('-1/4')).toThrow("--shard must be i/n (such as 1/4), got '-1/4'");
    expect(() => parseShard('0/0')).toThrow(new RangeError('--shard 0/0: n must be at least 1'));
    expect(() => parseShard('0/4')).toThrow(new RangeError('--shard 0/4: i must be from 1 to 4'));
    expect(() => parseShard('5/4')).toThrow(new RangeError('--shard 5/4: i must be from 1 to 4'));
  });
});

describe('the report a shard writes', () => {
  it('names the exploration by its flags, without those that only say how or where this part runs', () => {
    const argv = ['--lock', 'mutex', '--shard', '2/3', '--runs', '500', '--report=out.json', '--workers', '2', '--seed', '7', '--shard=2/3'];
    const before = [...argv];
    expect(explorationArgv(argv)).toEqual(['--lock', 'mutex', '--runs', '500', '--seed', '7']);
    expect(argv).toEqual(before);
    const report = shardReport(argv, { index: 1, count: 3 }, { judgedThrough: 40, cases: [{ index: 4, findings: [finding('a')] }] });
    expect(report).toEqual({
      format: 'leaselab-explore-shard',
      version: 1,
      argv: ['--lock', 'mutex', '--runs', '500', '--seed', '7'],
      shard: { index: 2, count: 3 },
      judgedThrough: 40,
      cases: [{ index: 4, findings: [finding('a')] }],
    });
    // what is written is what is read back
    expect(asShardReport(JSON.parse(JSON.stringify(report)), 'shard-2.json')).toEqual(report);
  });

  it('a file that is not a report, of another version or missing a part is refused, naming the file', () => {
    const good = shardReport([], { index: 0, count: 1 }, { judgedThrough: -1, cases: [] });
    expect(() => asShardReport(null, 'a.json')).toThrow(new ShardMergeError('a.json: not a leaselab explore shard report'));
    expect(() => asShardReport({ format: 'other' }, 'b.json')).toThrow('b.json: not a leaselab explore shard report');
    expect(() => asShardReport({ ...good, version: 2 }, 'c.json')).toThrow('c.json: shard report version 2, this leaselab reads version 1');
    for (const broken of [
      { ...good, argv: 'x' },
      { ...good, shard: { index: 1.5, count: 2 } },
      { ...good, judgedThrough: '3' },
      { ...good, cases: {} },
    ])
      expect(() => asShardReport(broken, 'd.json')).toThrow('d.json: a shard report without argv, shard, judgedThrough or cases');
  });
});

describe('mergeShardReports', () => {
  const argv = ['--lock', 'mutex'];
  const report = (index: number, count: number, judgedThrough: number, cases: ShardReport['cases'], flags = argv) => ({
    source: `shard-${index}.json`,
    report: shardReport(flags, { index: index - 1, count }, { judgedThrough, cases }),
  });

  it('deals case i to shard (i mod n) + 1 and reads each case from its shard, in any order of reports', () => {
    const merged = mergeShardReports([
      report(3, 3, 8, [{ index: 5, findings: [finding('five')] }]),
      report(1, 3, 9, [{ index: 0, findings: [finding('zero')] }]),
      report(2, 3, 7, []),
    ]);
    expect(merged.argv).toEqual(argv);
    expect(merged.count).toBe(3);
    expect(merged.recorded(0)).toEqual([finding('zero')]);
    expect(merged.recorded(5)).toEqual([finding('five')]);
    for (const quiet of [1, 2, 3, 4, 6, 7, 8, 9]) expect(merged.recorded(quiet)).toEqual([]);
    // shard 2 judged cases 1, 4, 7: case 10 is past it
    expect(() => merged.recorded(10)).toThrow(
      new ShardMergeError(
        'shard-2.json (shard 2/3) stopped after case 8, before case 11 that the merged search needs; were the shards run by the same leaselab?',
      ),
    );
  });

  it('refuses reports that do not make one exploration, saying which', () => {
    expect(() => mergeShardReports([])).toThrow(new ShardMergeError('no shard reports to merge'));
    expect(() => mergeShardReports([report(1, 2, 0, []), report(1, 3, 0, [])])).toThrow('shard-1.json is shard 1/3, shard-1.json is of 2 shards');
    expect(() => mergeShardReports([report(1, 2, 0, []), report(2, 2, 0, [], ['--lock', 'naive'])])).toThrow(
      'shard-2.json is from another exploration: --lock naive (shard-1.json: --lock mutex)',
    );
    expect(() => mergeShardReports([report(1, 2, 0, []), report(1, 2, 0, [])])).toThrow('shard 1/2 twice: shard-1.json and shard-1.json');
    expect(() => mergeShardReports([report(2, 4, 0, [])])).toThrow('missing shard(s) 1/4, 3/4, 4/4');
  });
});
