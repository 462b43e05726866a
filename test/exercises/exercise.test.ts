// exported(): how an exercise finds what an answer module offers (a named export, a field of the
// default export, or the default itself).
import { describe, expect, it } from 'vitest';
import { AnswerError, exported } from '../../src/exercises/exercise.ts';

describe('exported', () => {
  const fn = () => 'lock';

  it("takes the named export first, then the default export's field of that name, then the default itself", () => {
    expect(exported({ acquire: fn, default: { acquire: 'other' } }, 'acquire')).toBe(fn);
    expect(exported({ default: { acquire: fn } }, 'acquire')).toBe(fn);
    expect(exported({ default: fn }, 'acquire')).toBe(fn);
  });

  it('without the fallback, a default that is not an object with that field gives nothing', () => {
    expect(exported({ default: fn }, 'acquire', false)).toBeUndefined();
    expect(exported({ default: { acquire: fn } }, 'acquire', false)).toBe(fn);
    expect(exported({}, 'acquire')).toBeUndefined();
    expect(exported({ default: null }, 'acquire')).toBeNull();
  });

  it('a field holding undefined is not an export', () => {
    expect(exported({ acquire: undefined, default: { acquire: fn } }, 'acquire')).toBe(fn);
  });
});

describe('AnswerError', () => {
  it('names itself', () => {
    const error = new AnswerError('the module exports no acquire');
    expect([error.name, error.message, error instanceof Error]).toEqual(['AnswerError', 'the module exports no acquire', true]);
  });
});
