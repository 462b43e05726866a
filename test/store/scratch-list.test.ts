import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ScratchList } from '../../src/store/scratch-list.ts';

describe('ScratchList', () => {
  it('pushes, reads in order, clears, and is reused', () => {
    const list = new ScratchList<string>();
    ['a', 'b', 'c'].forEach(list.push);
    expect([list.length, list.at(0), list.at(1), list.at(2)]).toEqual([3, 'a', 'b', 'c']);
    list.clear();
    expect(list.length).toBe(0);
    list.push('d');
    expect([list.length, list.at(0)]).toEqual([1, 'd']);
  });

  it('drops its references on clear', () => {
    const list = new ScratchList<object>();
    const item = {};
    list.push(item);
    list.clear();
    // the slot is emptied: reading past the length finds nothing
    expect(list.at(0)).toBeUndefined();
  });

  it('keeps its storage: refilling it allocates far less than a truncated array does', () => {
    const item = {};
    const list = new ScratchList<object>();
    const array: object[] = [];
    const fillList = () => {
      list.push(item);
      list.push(item);
      list.clear();
    };
    const fillArray = () => {
      array.push(item);
      array.push(item);
      array.length = 0;
    };
    const allocated = (fill: () => void): number => {
      for (let i = 0; i < 10_000; i++) fill();
      const profiler = new v8.GCProfiler();
      profiler.start();
      let last = v8.getHeapStatistics().used_heap_size;
      for (let i = 0; i < 100_000; i++) fill();
      const end = v8.getHeapStatistics().used_heap_size;
      let bytes = 0;
      for (const gc of profiler.stop().statistics) {
        bytes += gc.beforeGC.heapStatistics.usedHeapSize - last;
        last = gc.afterGC.heapStatistics.usedHeapSize;
      }
      return bytes + end - last;
    };
    expect(allocated(fillList)).toBeLessThan(allocated(fillArray) / 4);
  });
});
