import { describe, expect, it } from 'vitest';
import { ednOperations, parseEdnLine } from '../../src/check/edn-history.ts';
import { readKvAppendHistory } from '../../src/check/models/kv-append.ts';

describe('parseEdnLine', () => {
  it('reads a flat map of keywords, strings, numbers and nil', () => {
    expect(parseEdnLine('{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}')).toEqual({
      ok: true,
      map: { process: 9, type: 'invoke', f: 'append', key: '0', value: 'x 9 0 y' },
    });
    expect(parseEdnLine('{:value nil :ok true :s "a\\"b\\\\c"}')).toEqual({ ok: true, map: { value: null, ok: true, s: 'a"b\\c' } });
  });

  it('says why a line does not parse', () => {
    expect(parseEdnLine('{:process 1, :type').ok).toBe(false);
    expect(parseEdnLine('[1 2]').ok).toBe(false);
    expect(parseEdnLine('{:a "unterminated}').ok).toBe(false);
    expect(parseEdnLine('{:a 1} extra').ok).toBe(false);
  });
});

describe('ednOperations', () => {
  it('pairs calls with completions: ok, fail as error, info or none as unknown', () => {
    const text = [
      '{:process 1, :type :invoke, :f :put, :key "k", :value "a"}',
      '{:process 2, :type :invoke, :f :get, :key "k", :value nil}',
      '{:process 1, :type :ok, :f :put, :key "k", :value "a"}',
      '{:process 2, :type :fail, :f :get, :key "k", :value nil}',
      '{:process 1, :type :invoke, :f :append, :key "k", :value "b"}',
      '{:process 1, :type :info, :f :append, :key "k", :value "b"}',
      '{:process 3, :type :invoke, :f :get, :key "k", :value nil}',
      'garbage',
      '{:process 4, :type :ok, :f :get, :key "k", :value nil}',
    ].join('\n');
    const { operations, problems } = ednOperations(text);
    expect(operations.map((op) => [op.process, op.outcome, op.invokeMs, op.returnMs])).toEqual([
      [1, 'ok', 0, 2],
      [2, 'error', 1, 3],
      [1, 'unknown', 4, Infinity],
      [3, 'unknown', 6, Infinity],
    ]);
    expect(problems.map((problem) => problem.index)).toEqual([7, 8]);
    const kv = readKvAppendHistory(text);
    expect(kv.operations[0]).toMatchObject({ input: { op: 'put', key: 'k', value: 'a' }, output: { value: 'a' } });
  });
});
