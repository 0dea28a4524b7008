import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quebecHealthCardSystem, quebecIdentifierIssues } from '../../../lambdas/fhir/quebec-identifiers';

const nam = (value: unknown) => ({ system: quebecHealthCardSystem, value });
const patientWith = (...identifier: unknown[]) => ({ resourceType: 'Patient', identifier });
const issuesFor = (value: unknown) => quebecIdentifierIssues(patientWith(nam(value)), 'Patient');

describe('quebecHealthCardSystem', () => {
  it('is the Canadian URI Registry naming system for Québec health card numbers', () => {
    expect(quebecHealthCardSystem).toBe('https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id');
  });
});

describe('quebecIdentifierIssues: valid NAMs', () => {
  it.each([
    ['a man born 15 February 1965', 'TREJ65021512'],
    ['a woman born 15 February 1965 (month + 50)', 'TREJ65521512'],
    ['January 1st', 'BELZ01010100'],
    ['31 December', 'GAGM99123199'],
    ['31 December, woman', 'GAGM99623199'],
    ['29 February (YY alone cannot rule out a leap year)', 'ROYA00022901'],
    ['29 February, woman, any YY', 'ROYA01522901'],
    ['30 April', 'COTL80043012'],
    ['31 July', 'COTL80073112'],
    ['a short family name padded with X', 'LIXM75081400'],
  ])('accepts %s', (_name, value) => {
    expect(issuesFor(value)).toEqual([]);
  });

  it('property: every well-formed NAM is accepted', () => {
    const letter = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    const valid = fc
      .record({
        letters: fc.string({ unit: letter, minLength: 4, maxLength: 4 }),
        yy: fc.integer({ min: 0, max: 99 }),
        month: fc.integer({ min: 1, max: 12 }),
        woman: fc.boolean(),
        dayFraction: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        admin: fc.integer({ min: 0, max: 99 }),
      })
      .map(({ letters, yy, month, woman, dayFraction, admin }) => {
        const day = 1 + Math.floor(dayFraction * (days[month - 1] ?? 28));
        const two = (n: number) => String(n).padStart(2, '0');
        return `${letters}${two(yy)}${two(month + (woman ? 50 : 0))}${two(day)}${two(admin)}`;
      });
    fc.assert(
      fc.property(valid, (value) => {
        expect(issuesFor(value)).toEqual([]);
      }),
    );
  });
});

describe('quebecIdentifierIssues: invalid NAMs', () => {
  it.each([
    ['month 00', 'TREJ65001512', /birth month/],
    ['month 13', 'TREJ65131512', /birth month/],
    ['month 49', 'TREJ65491512', /birth month/],
    ['month 50', 'TREJ65501512', /birth month/],
    ['month 63', 'TREJ65631512', /birth month/],
    ['month 99', 'TREJ65991512', /birth month/],
    ['day 00', 'TREJ65020012', /birth day .* 01–29/],
    ['day 32 in January', 'TREJ65013212', /birth day .* 01–31/],
    ['day 30 in February', 'TREJ65023012', /birth day .* 01–29/],
    ['day 30 in February, woman', 'TREJ65523012', /birth day .* 01–29/],
    ['day 31 in April', 'TREJ65043112', /birth day .* 01–30/],
    ['day 31 in November, woman', 'TREJ65613112', /birth day .* 01–30/],
    ['lower case', 'trej65021512', /upper case/],
    ['mixed case', 'TReJ65021512', /upper case/],
    ['spaces, as printed on some forms', 'TREJ 6502 1512', /12 characters/],
    ['a trailing space', 'TREJ6502151 ', /last 8 characters must be digits/],
    ['too short', 'TREJ6502151', /12 characters/],
    ['too long', 'TREJ650215123', /12 characters/],
    ['empty', '', /12 characters/],
    ['digits where letters go', 'TRE165021512', /first 4 characters must be letters/],
    ['an accented letter', 'TRÉJ65021512', /first 4 characters must be letters/],
    ['a letter among the digits', 'TREJ6502151O', /last 8 characters must be digits/],
    ['full-width digits', 'TREJ６５０２１５１２', /last 8 characters must be digits/],
  ])('rejects %s', (_name, value, message) => {
    const issues = issuesFor(value);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'error', code: 'value', expression: ['Patient.identifier[0].value'] });
    expect(issues[0]?.diagnostics).toMatch(message);
    if (value.length > 0) expect(issues[0]?.diagnostics).not.toContain(value.trim()); // PHI: never echoed
  });

  it('names the offending identifier among several, on any resource type', () => {
    const coverage = {
      resourceType: 'Coverage',
      identifier: [
        { system: 'urn:oid:2.16.840.1.113883.4.1', value: 'not a NAM and not checked' },
        nam('TREJ65021512'),
        nam('TREJ65133212'),
        { value: 'TREJ65133212' },
      ],
    };
    const issues = quebecIdentifierIssues(coverage, 'Coverage');
    expect(issues.map((issue) => issue.expression)).toEqual([['Coverage.identifier[2].value']]);
  });

  it('checks a single identifier (types with identifier 0..1) and contained resources', () => {
    expect(quebecIdentifierIssues({ resourceType: 'Bundle', identifier: nam('bad') }, 'Bundle').map((issue) => issue.expression)).toEqual([['Bundle.identifier.value']]);
    const claim = { resourceType: 'Claim', contained: [{ resourceType: 'Patient', identifier: [nam('TREJ65021512'), nam('TREJ65021500x')] }] };
    expect(quebecIdentifierIssues(claim, 'Claim').map((issue) => issue.expression)).toEqual([['Claim.contained[0].identifier[1].value']]);
  });

  it('leaves alone identifiers of other systems, without a value, or with a non-string value', () => {
    const resource = patientWith(
      { system: 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-on-patient-hcn', value: '1234567890' },
      { system: quebecHealthCardSystem },
      nam(42),
      'junk',
      null,
    );
    expect(quebecIdentifierIssues(resource, 'Patient')).toEqual([]);
    expect(quebecIdentifierIssues({ resourceType: 'Patient' }, 'Patient')).toEqual([]);
  });
});
