// Go's encoding/json as leaselab's gateway mimics it (src/server/go-json.ts). Every expected text
// below is what go 1.19 printed for the same input (json.Decoder into json.RawMessage,
// json.Unmarshal into int64 and []byte, fmt's %q, json.Marshal of a string); go-json.slow.test.ts
// compares against Go itself on random inputs.
import { describe, expect, it } from 'vitest';
import { base64Std, firstValue, GoJsonStream, goJson, goJsonString, goQuote, quoteChar, syntaxError, typeError } from '../../src/server/go-json.ts';

const bytes = (text: string) => Buffer.from(text, 'latin1');

/** firstValue as Go's Decoder reports it: the value's text, eof, or the error. */
function decoded(text: string): string {
  const body = bytes(text);
  const first = firstValue(body);
  if (first.kind === 'value') return `value ${Buffer.from(body.subarray(first.start, first.end)).toString('latin1')}`;
  return first.kind === 'eof' ? 'eof' : `error ${first.message}`;
}

describe('firstValue (json.Decoder.Decode of one value)', () => {
  it.each([
    ['', 'eof'],
    [' \n', 'eof'],
    ['{}', 'value {}'],
    ['{} x', 'value {}'],
    ['1 x', 'value 1'],
    ['1', 'value 1'],
    ['  [1, 2] ', 'value [1, 2]'],
    ['{"a":1}{"b":2}', 'value {"a":1}'],
    ['{', 'error unexpected EOF'],
    ['nul', 'error unexpected EOF'],
    ['"', 'error unexpected EOF'],
    ['nulx', "error invalid character 'x' in literal null (expecting 'l')"],
    ['"a\tb"', "error invalid character '\\t' in string literal"],
    ['[1,]', "error invalid character ']' looking for beginning of value"],
    ['{"a" 1}', "error invalid character '1' after object key"],
    ['\xff', "error invalid character 'ÿ' looking for beginning of value"],
    ['<', "error invalid character '<' looking for beginning of value"],
    ["'", "error invalid character '\\'' looking for beginning of value"],
    ['\\', "error invalid character '\\\\' looking for beginning of value"],
    ['-x', "error invalid character 'x' in numeric literal"],
    ['1.x', "error invalid character 'x' after decimal point in numeric literal"],
    ['1ex', "error invalid character 'x' in exponent of numeric literal"],
    ['"\\x"', "error invalid character 'x' in string escape code"],
    ['"\\u12g4"', "error invalid character 'g' in \\u hexadecimal character escape"],
    ['{,}', "error invalid character ',' looking for beginning of object key string"],
    ['{"a":1 "b"', "error invalid character '\"' after object key:value pair"],
    ['[1 2]', "error invalid character '2' after array element"],
    ['{"a":}', "error invalid character '}' looking for beginning of value"],
  ])('%j → %s', (text, expected) => {
    expect(decoded(text)).toBe(expected);
  });

  it('refuses nesting deeper than 10,000, as Go does, and takes 10,000', () => {
    expect(decoded('['.repeat(10_001))).toBe("error invalid character '[' exceeded max depth");
    expect(decoded(`${'['.repeat(10_000)}${']'.repeat(10_000)} x`)).toBe(`value ${'['.repeat(10_000)}${']'.repeat(10_000)}`);
  });
});

describe('GoJsonStream (json.Decoder over a body arriving in pieces)', () => {
  const shown = (items: ReturnType<GoJsonStream['push']>) =>
    items.map((item) => (item.kind === 'value' ? Buffer.from(item.value).toString('latin1') : `error ${item.message}`));

  it('yields each value once it is complete, a number only once a byte after it has come', () => {
    const stream = new GoJsonStream();
    expect(shown(stream.push(bytes('{"ID":"1"}{"I')))).toEqual(['{"ID":"1"}']);
    expect(shown(stream.push(bytes('D":2} 12')))).toEqual(['{"ID":2}']);
    expect(shown(stream.push(bytes('3 ')))).toEqual(['123']);
    expect(shown(stream.end())).toEqual([]);
  });

  it('stops at the first error: a syntax error as it arrives, a value cut short when the body ends', () => {
    const broken = new GoJsonStream();
    expect(shown(broken.push(bytes('{} x {}')))).toEqual(['{}', "error invalid character 'x' looking for beginning of value"]);
    expect(shown(broken.push(bytes('{}')))).toEqual([]);
    const cut = new GoJsonStream();
    expect(shown(cut.push(bytes('null {"ID"')))).toEqual(['null']);
    expect(shown(cut.end())).toEqual(['error unexpected EOF']);
  });
});

describe('syntaxError (json.Unmarshal’s check of a whole document)', () => {
  it.each([
    ['1 2', "invalid character '2' after top-level value"],
    ['', 'unexpected end of JSON input'],
    ['{', 'unexpected end of JSON input'],
    ['-', "invalid character ' ' in numeric literal"],
    ['tru', "invalid character ' ' in literal true (expecting 'e')"],
    ['1.', "invalid character ' ' after decimal point in numeric literal"],
    ['"\\u0031"', undefined],
    [' 1 ', undefined],
    ['null', undefined],
  ])('%j → %s', (text, expected) => {
    expect(syntaxError(bytes(text))).toBe(expected);
  });
});

describe('base64Std (base64.StdEncoding.Decode)', () => {
  const decode = (text: string) => {
    const result = base64Std(bytes(text));
    return 'error' in result ? result.error : `ok ${Buffer.from(result.bytes).toString('base64')}`;
  };
  it.each([
    ['YQ==', 'ok YQ=='],
    ['', 'ok '],
    ['YQ=\n=', 'ok YQ=='],
    ['YWJj\n', 'ok YWJj'],
    ['YR==', 'ok YQ=='],
    ['YQ=', 'illegal base64 data at input byte 3'],
    ['YQ', 'illegal base64 data at input byte 0'],
    ['Y', 'illegal base64 data at input byte 0'],
    ['YQ===', 'illegal base64 data at input byte 4'],
    ['YWJjZGVmZ2hp!', 'illegal base64 data at input byte 12'],
    ['=YQ=', 'illegal base64 data at input byte 0'],
    ['Y=Q=', 'illegal base64 data at input byte 1'],
    ['-_8=', 'illegal base64 data at input byte 0'],
    ['YQ==\n\nx', 'illegal base64 data at input byte 6'],
  ])('%j → %s', (text, expected) => {
    expect(decode(text)).toBe(expected);
  });
});

describe("Go's quoting", () => {
  it('quoteChar shows a byte as the scanner’s errors do', () => {
    expect([0x27, 0x22, 0x5c, 0x0a, 0xff, 0x00, 0x7b].map(quoteChar)).toEqual(["'\\''", `'"'`, "'\\\\'", "'\\n'", "'ÿ'", "'\\x00'", "'{'"]);
  });

  it.each([
    ['BAD', '"BAD"'],
    ['\\u0041', '"\\\\u0041"'],
    ['\xff', '"\\xff"'],
    ['\xc3\xa9', '"é"'],
    ['\x01', '"\\x01"'],
    ['\x7f', '"\\x7f"'],
    ['"', '"\\""'],
    ['\xc2\xa0', '"\\u00a0"'],
    ['\t\n', '"\\t\\n"'],
  ])('goQuote(%j) (fmt %%q of bytes) → %s', (text, expected) => {
    expect(goQuote(bytes(text))).toBe(expected);
  });

  it.each([
    ['<a>&b', '"\\u003ca\\u003e\\u0026b"'],
    ['\u2028', '"\\u2028"'],
    ['\b\f', '"\\u0008\\u000c"'],
    ['é', '"é"'],
    ['"\\', '"\\"\\\\"'],
    ['\x01\x1f', '"\\u0001\\u001f"'],
  ])('goJsonString(%j) (json.Marshal) → %s', (text, expected) => {
    expect(goJsonString(text)).toBe(expected);
  });

  it('goJson writes a whole value as json.Marshal does, a backslash before b or f left alone', () => {
    expect(goJson({ users: ['<u&>', '\\b', '\b\\f', '\u2029'], n: 1, ok: true })).toBe(
      '{"users":["\\u003cu\\u0026\\u003e","\\\\b","\\u0008\\\\f","\\u2029"],"n":1,"ok":true}',
    );
  });

  it('typeError words an UnmarshalTypeError as Go does', () => {
    expect(typeError('array', 'map[string]json.RawMessage')).toBe('json: cannot unmarshal array into Go value of type map[string]json.RawMessage');
    expect(typeError('number', 'int64', '1.5')).toBe('json: cannot unmarshal number 1.5 into Go value of type int64');
  });
});
