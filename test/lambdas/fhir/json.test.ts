import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Invalid } from '../../../lambdas/fhir/errors';
import { decodeUtf8, isLosslessNumber, maxJsonDepth, parseFhirJson, stringifyFhirJson, toPlainJson } from '../../../lambdas/fhir/json';
import { allHl7ExampleFiles, hasSharedData } from '../../support/shared-data';

/** The Invalid thrown by `fn`, so tests can look at its issues (fails if anything else happens). */
function invalid(fn: () => unknown): Invalid {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Invalid);
    expect((error as Invalid).status).toBe(400);
    return error as Invalid;
  }
  throw new Error('expected Invalid, got a value');
}

const roundTrip = (text: string) => stringifyFhirJson(parseFhirJson(text));

describe('parseFhirJson / stringifyFhirJson: numbers', () => {
  it('keeps decimals exactly as written, including ones a double cannot hold', () => {
    const text = '{"v":1.50,"w":0.12345678901234567890123,"n":1e400}';
    expect(roundTrip(text)).toBe(text);
  });

  it('keeps integers too big for a double, exponents, negative zero and tiny values', () => {
    const text = '[123456789012345678901234567890,-9007199254740993,1E+2,1.0e-7,-0.0,-0,5e-400,100,0]';
    expect(roundTrip(text)).toBe(text);
  });

  it('hands out numbers as lossless values that other modules can recognise', () => {
    const value = parseFhirJson('{"valueDecimal":1.50,"n":3,"s":"1.50"}') as Record<string, unknown>;
    expect(isLosslessNumber(value.valueDecimal)).toBe(true);
    expect(String(value.valueDecimal)).toBe('1.50');
    expect(isLosslessNumber(value.s)).toBe(false);
    expect(isLosslessNumber(1.5)).toBe(false);
    expect(isLosslessNumber({ isLosslessNumber: true, value: '1' })).toBe(false);
  });

  it('toPlainJson gives JS numbers, equals JSON.parse, and leaves the lossless value alone', () => {
    const text = '{"a":[1.50,{"b":-2e3}],"c":"x","d":null,"e":true,"f":12345678901234567890}';
    const lossless = parseFhirJson(text);
    expect(toPlainJson(lossless)).toEqual(JSON.parse(text));
    expect(stringifyFhirJson(lossless)).toBe(text);
  });

  it('property: any JSON value round-trips to the same text', () => {
    for (const stringUnit of ['grapheme-ascii', 'grapheme'] as const) {
      fc.assert(
        fc.property(fc.jsonValue({ stringUnit }), (value) => {
          const text = JSON.stringify(value);
          expect(roundTrip(text)).toBe(text);
        }),
        { numRuns: 300 },
      );
    }
  });

  const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
  const decimalText = fc
    .record({
      sign: fc.constantFrom('', '-'),
      int: fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 40)).map(([head, tail]) => head + tail)),
      fraction: fc.option(digits(1, 40), { nil: undefined }),
      exponent: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 4)).map((parts) => parts.join('')), { nil: undefined }),
    })
    .map(({ sign, int, fraction, exponent }) => `${sign}${int}${fraction === undefined ? '' : `.${fraction}`}${exponent ?? ''}`);

  it('property: decimals written as digit strings keep every digit, trailing zeros included', () => {
    fc.assert(
      fc.property(fc.array(decimalText, { minLength: 1, maxLength: 8 }), (numbers) => {
        const text = `{"resourceType":"Observation","valueQuantity":{"value":${numbers[0]}},"component":[${numbers.join(',')}]}`;
        expect(roundTrip(text)).toBe(text);
        const parsed = parseFhirJson(text) as { component: unknown[] };
        expect(parsed.component.map(String)).toEqual(numbers);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseFhirJson: rejections', () => {
  it('rejects malformed JSON with a clear diagnostics line', () => {
    for (const text of ['', ' ', '{', '{"a":}', '{"a":1,}', "{'a':1}", '[1,]', 'NaN', '01', '{"a":1}x', '"\\x"', '"unterminated']) {
      const error = invalid(() => parseFhirJson(text));
      expect(error.issues[0]?.diagnostics, text).toMatch(/^Malformed JSON: /);
    }
  });

  it('keeps malformed-JSON diagnostics short, with the position', () => {
    const [issue] = invalid(() => parseFhirJson(`[-${'1'.repeat(100_000)}.x]`)).issues;
    expect(issue?.diagnostics.length).toBeLessThan(300);
    expect(issue?.diagnostics).toMatch(/at position 100003$/);
  });

  it(`accepts nesting up to ${maxJsonDepth} levels and rejects one more`, () => {
    const nest = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect(() => parseFhirJson(nest(maxJsonDepth))).not.toThrow();
    expect(invalid(() => parseFhirJson(nest(maxJsonDepth + 1))).issues[0]?.diagnostics).toMatch(/nesting is deeper than 100/);
  });

  it('rejects 100k nested arrays or objects with Invalid (400), never a RangeError from a recursive parser', () => {
    const n = 100_000;
    const cases = [
      '['.repeat(n),
      `${'['.repeat(n)}${']'.repeat(n)}`,
      '{"a":'.repeat(n),
      `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`,
      `{"resourceType":"Questionnaire","item":${'[{"item":'.repeat(n)}`,
    ];
    for (const text of cases) {
      const error = invalid(() => parseFhirJson(text));
      expect(error).not.toBeInstanceOf(RangeError);
      expect(error.issues[0]?.diagnostics).toMatch(/nesting is deeper/);
    }
  });

  it('rejects duplicate keys, equal values and escaped spellings included, naming where', () => {
    for (const text of ['{"a":1,"a":1}', '{"a":1,"a":2}', '{"a":1,"\\u0061":1}', '{"a":{},"a":{}}']) {
      const error = invalid(() => parseFhirJson(text));
      expect(error.issues[0]?.diagnostics, text).toMatch(/^Duplicate JSON property at a:/);
    }
    const error = invalid(() => parseFhirJson('{"resourceType":"Patient","name":[{"given":["A"]},{"family":"X","family":"Y"}]}'));
    expect(error.issues[0]?.expression).toEqual(['Patient.name[1].family']);
  });

  it('allows the same key in sibling objects', () => {
    expect(() => parseFhirJson('{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":1}]}')).not.toThrow();
  });

  it.each([
    ['NUL, escaped', '\\u0000'],
    ['U+001F, escaped', '\\u001f'],
    ['backspace', '\\b'],
    ['form feed', '\\f'],
    ['vertical tab, escaped', '\\u000B'],
  ])('rejects a control character (%s) with the location of the string', (_name, escape) => {
    const text = `{"resourceType":"Patient","name":[{"family":"Tremblay${escape}"}]}`;
    const [issue] = invalid(() => parseFhirJson(text)).issues;
    expect(issue?.expression).toEqual(['Patient.name[0].family']);
    expect(issue?.diagnostics).toMatch(/control character U\+00[01][0-9A-F]/);
    expect(issue?.diagnostics).not.toContain('Tremblay'); // values are PHI: never echoed
  });

  it('rejects a raw NUL too, still naming the string', () => {
    const [issue] = invalid(() => parseFhirJson('{"resourceType":"Patient","name":[{"family":"Trem\u0000blay"}]}')).issues;
    expect(issue?.expression).toEqual(['Patient.name[0].family']);
    expect(issue?.diagnostics).toMatch(/U\+0000/);
  });

  it('accepts tab, CR and LF (escaped), DEL and ordinary Unicode', () => {
    const text = '{"resourceType":"Patient","text":{"div":"a\\tb\\r\\nc\u007f"},"name":[{"family":"Bélanger","given":["Zoé 😀"]}]}';
    expect(roundTrip(text)).toBe(text);
  });

  it.each([
    ['escaped high surrogate alone', '\\uD800'],
    ['escaped low surrogate alone', '\\uDC00'],
    ['escaped pair in the wrong order', '\\uDC00\\uD800'],
    ['raw high surrogate alone', '\uD83D'],
    ['high surrogate followed by a letter', '\\uD83Dx'],
  ])('rejects a lone surrogate (%s) with the location of the string', (_name, content) => {
    const [issue] = invalid(() => parseFhirJson(`{"resourceType":"Observation","note":[{"text":"ok"},{"text":"${content}"}]}`)).issues;
    expect(issue?.expression).toEqual(['Observation.note[1].text']);
    expect(issue?.diagnostics).toMatch(/unpaired UTF-16 surrogate/);
  });

  it('accepts an escaped surrogate pair', () => {
    expect(parseFhirJson('{"t":"\\uD83D\\uDE00"}')).toEqual({ t: '😀' });
  });

  it('rejects bad characters in property names as well, quoting the odd name', () => {
    const [issue] = invalid(() => parseFhirJson('{"resourceType":"Patient","na\\u0001me":[]}')).issues;
    expect(issue?.expression).toEqual(['Patient.`na\\u0001me`']);
    expect(issue?.diagnostics).toMatch(/^The property name at/);
  });

  it('reports several problems, but a bounded number', () => {
    const many = `{"a":[${Array.from({ length: 50 }, () => '"\\u0000"').join(',')}],"b":"\\u0001"}`;
    const { issues } = invalid(() => parseFhirJson(many));
    expect(issues.length).toBe(10);
    expect(issues[0]?.expression).toEqual(['a[0]']);
    expect(issues[9]?.expression).toEqual(['a[9]']);
  });

  it('does not pollute prototypes through __proto__, constructor or prototype keys', () => {
    const text = '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true},"x":[{"__proto__":{"polluted":true}}]}';
    const value = parseFhirJson(text) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const item = (value.x as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(item)).toBe(Object.prototype);
    expect(stringifyFhirJson(value)).toBe(text);

    const plain = toPlainJson(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.hasOwn(plain, '__proto__')).toBe(true);
    expect(JSON.stringify(plain)).toBe(text);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('decodeUtf8', () => {
  const bytes = (...values: number[]) => Uint8Array.from(values);

  it('decodes UTF-8 and strips a leading byte order mark', () => {
    const utf8 = new TextEncoder().encode('{"family":"Bélanger"}');
    expect(decodeUtf8(utf8)).toBe('{"family":"Bélanger"}');
    expect(decodeUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8]))).toBe('{"family":"Bélanger"}');
    expect(decodeUtf8(Buffer.from('{}'))).toBe('{}');
  });

  it.each([
    ['a stray continuation byte', bytes(0x7b, 0x80, 0x7d)],
    ['0xFF', bytes(0xff)],
    ['an overlong slash', bytes(0xc0, 0xaf)],
    ['an encoded surrogate', bytes(0xed, 0xa0, 0x80)],
    ['a truncated sequence', bytes(0x22, 0xe2, 0x82)],
    ['Latin-1 é', bytes(0x22, 0xe9, 0x22)],
  ])('rejects invalid UTF-8 (%s) with Invalid (400)', (_name, input) => {
    expect(invalid(() => decodeUtf8(input)).issues[0]?.diagnostics).toMatch(/not valid UTF-8/);
  });
});

describe('property: any bytes or text either parse or are refused with Invalid, never anything else', () => {
  const onlyInvalid = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      if (!(error instanceof Invalid) || error.status !== 400) throw error;
    }
  };

  it('arbitrary bytes through decodeUtf8 then parseFhirJson', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (input) => onlyInvalid(() => parseFhirJson(decodeUtf8(input)))), { numRuns: 1000 });
  });

  it('arbitrary UTF-16 text, lone surrogates included', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => onlyInvalid(() => parseFhirJson(text))), { numRuns: 1000 });
  });

  it('JSON-like text built from structural characters, escapes and control characters', () => {
    const unit = fc.constantFrom('[', ']', '{', '}', '"', '\\', ':', ',', ' ', '1', '-', '.', 'e', 'a', 'u', 'D', '8', '0', 'n', 'true', 'null', '\u0000', '\uD800', '__proto__', '"a":');
    fc.assert(fc.property(fc.string({ unit, maxLength: 300 }), (text) => onlyInvalid(() => parseFhirJson(text))), { numRuns: 2000 });
  });

  it('mutations of valid JSON', () => {
    const mutated = fc.tuple(fc.json(), fc.nat(), fc.string({ unit: 'binary', maxLength: 3 })).map(([text, at, insert]) => {
      const position = text.length === 0 ? 0 : at % text.length;
      return text.slice(0, position) + insert + text.slice(position + 1);
    });
    fc.assert(fc.property(mutated, (text) => onlyInvalid(() => parseFhirJson(text))), { numRuns: 1000 });
  });
});

describe.skipIf(!hasSharedData)('HL7 R4 examples', () => {
  it('every example parses, keeps every number as written, and toPlainJson matches JSON.parse', () => {
    const files = allHl7ExampleFiles();
    expect(files.length).toBeGreaterThan(700);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const value = parseFhirJson(text);
      expect(numberTokens(stringifyFhirJson(value)), file).toEqual(numberTokens(text));
      expect(toPlainJson(value), file).toEqual(JSON.parse(text));
    }
  });
});

/** The number tokens of JSON text, in order (strings skipped), to compare input and output. */
function numberTokens(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i += 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const start = i;
      while (i < text.length && '+-.eE0123456789'.includes(text[i] as string)) i += 1;
      tokens.push(text.slice(start, i));
    } else {
      i += 1;
    }
  }
  return tokens;
}
