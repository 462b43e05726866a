import { describe, expect, it } from 'vitest';
import { checkRevision, lastOfMain, mainOf, mainRevisionMax, packRevision, subRevisionsMax } from '../../src/store/revision.ts';

describe('packed revisions', () => {
  it('order as (main, sub) and unpack their main revision', () => {
    expect(packRevision(5, 0) < packRevision(5, 2) && packRevision(5, 2) < packRevision(6, 0)).toBe(true);
    expect(mainOf(packRevision(5, 2))).toBe(5);
    expect(lastOfMain(5)).toBe(packRevision(6, 0) - 1);
    expect(mainOf(lastOfMain(5))).toBe(5);
  });

  it('stay exact integers at the limits, and refuse revisions beyond them', () => {
    const largest = packRevision(mainRevisionMax - 1, subRevisionsMax - 1);
    expect(Number.isSafeInteger(largest)).toBe(true);
    expect(mainOf(largest)).toBe(mainRevisionMax - 1);
    expect(() => checkRevision(mainRevisionMax - 1, subRevisionsMax - 1)).not.toThrow();
    expect(() => checkRevision(mainRevisionMax, 0)).toThrow('revision 2147483648.0 out of range');
    expect(() => checkRevision(2, subRevisionsMax)).toThrow(`revision 2.${subRevisionsMax} out of range`);
    expect(() => checkRevision(-1, 0)).toThrow('out of range');
  });
});
