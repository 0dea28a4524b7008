import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ResourceType } from '../../../lambdas/fhir/registry/registry';
import { parseSearchDate } from '../../../lambdas/search/dates';
import { matchesAll, matchesClause, normalizeString, sortValue } from '../../../lambdas/search/match';
import { parseSearchRequest } from '../../../lambdas/search/search-request';
import type { DateRange, SearchValue, SearchValues } from '../../../lambdas/search/search-values';

/** Does a resource of `type` with these search values match `query` (a query string, as a client sends it)? */
function matches(type: ResourceType, query: string, values: SearchValues, id = 'x1'): boolean {
  const { clauses } = parseSearchRequest(type, [...new URLSearchParams(query)], { lenient: false });
  return matchesAll(values, clauses, { resourceType: type, id });
}

/** The stored range of a date, dateTime or instant as written in a resource (what the write path extracts). */
function when(text: string): DateRange {
  const parsed = parseSearchDate(text);
  if (!parsed) throw new Error(`bad test date ${text}`);
  return parsed.range;
}

/** A Period; either end may be open. */
function period(start: string | undefined, end: string | undefined): DateRange {
  return { start: start ? when(start).start : '0001-01-01T00:00:00.000Z', end: end ? when(end).end : '9999-12-31T23:59:59.999Z' };
}

const patient = (values: Record<string, SearchValue[]>) => values;

describe('normalizeString', () => {
  it('ignores case and accents, folds ligatures and collapses whitespace', () => {
    expect(normalizeString('Hélène')).toBe(normalizeString('helene'));
    expect(normalizeString('ÉMILIE')).toBe(normalizeString('emilie'));
    expect(normalizeString('Œuvre Cœur')).toBe('oeuvre coeur');
    expect(normalizeString('Æsir')).toBe('aesir');
    expect(normalizeString('Straße')).toBe('strasse');
    expect(normalizeString('  Jean \t  Pierre\n')).toBe('jean pierre');
    expect(normalizeString('François Noël Zoë Çà')).toBe('francois noel zoe ca');
  });
});

describe('string parameters', () => {
  const helene = patient({ name: ['Hélène', 'Dupont'], family: ['Dupont'] });

  it('match by default when any value starts with the text, ignoring case and accents', () => {
    expect(matches('Patient', 'name=helene', helene)).toBe(true);
    expect(matches('Patient', 'name=HÉL', helene)).toBe(true);
    expect(matches('Patient', 'name=dup', helene)).toBe(true);
    expect(matches('Patient', 'name=lene', helene)).toBe(false);
    expect(matches('Patient', 'name=emilie', patient({ name: ['ÉMILIE'] }))).toBe(true);
    expect(matches('Patient', 'name=Émilie', patient({ name: ['EMILIE'] }))).toBe(true);
  });

  it(':exact matches the whole value, case and accents included', () => {
    expect(matches('Patient', 'name:exact=Hélène', helene)).toBe(true);
    expect(matches('Patient', 'name:exact=helene', helene)).toBe(false);
    expect(matches('Patient', 'name:exact=Hél', helene)).toBe(false);
    expect(matches('Patient', 'name:exact=Helene', helene)).toBe(false);
  });

  it(':contains matches anywhere in the value, ignoring case and accents', () => {
    expect(matches('Patient', 'name:contains=LÈN', helene)).toBe(true);
    expect(matches('Patient', 'name:contains=pon', helene)).toBe(true);
    expect(matches('Patient', 'name:contains=xyz', helene)).toBe(false);
  });

  it('OR within a parameter, AND across parameters', () => {
    expect(matches('Patient', 'name=zoe,helene', helene)).toBe(true);
    expect(matches('Patient', 'name=zoe,marc', helene)).toBe(false);
    expect(matches('Patient', 'name=helene&name=dupont', helene)).toBe(true);
    expect(matches('Patient', 'name=helene&name=martin', helene)).toBe(false);
    expect(matches('Patient', 'name=helene&family=martin', helene)).toBe(false);
  });
});

describe('token parameters', () => {
  const gender = patient({ gender: [{ system: 'http://hl7.org/fhir/administrative-gender', code: 'female', text: 'Féminin' }] });
  const ids = patient({ identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', code: '1234' }, { code: '99' }] });

  it('code alone matches in any system; codes are case-sensitive', () => {
    expect(matches('Patient', 'gender=female', gender)).toBe(true);
    expect(matches('Patient', 'gender=Female', gender)).toBe(false);
    expect(matches('Patient', 'gender=male', gender)).toBe(false);
  });

  it('system|code must match both; |code means no system; system| means any code in it', () => {
    expect(matches('Patient', 'identifier=urn:oid:1.2.250.1.213.1.4.8|1234', ids)).toBe(true);
    expect(matches('Patient', 'identifier=urn:other|1234', ids)).toBe(false);
    expect(matches('Patient', 'identifier=|1234', ids)).toBe(false);
    expect(matches('Patient', 'identifier=|99', ids)).toBe(true);
    expect(matches('Patient', 'identifier=1234', ids)).toBe(true);
    expect(matches('Patient', 'identifier=urn:oid:1.2.250.1.213.1.4.8|', ids)).toBe(true);
    expect(matches('Patient', 'identifier=urn:other|', ids)).toBe(false);
  });

  it(':not matches when no value matches, including when the element is absent', () => {
    expect(matches('Patient', 'gender:not=male', gender)).toBe(true);
    expect(matches('Patient', 'gender:not=female', gender)).toBe(false);
    expect(matches('Patient', 'gender:not=male,female', gender)).toBe(false);
    expect(matches('Patient', 'gender:not=male', patient({}))).toBe(true);
  });

  it(':text matches the start of the display text, ignoring case and accents', () => {
    expect(matches('Patient', 'gender:text=feminin', gender)).toBe(true);
    expect(matches('Patient', 'gender:text=FÉM', gender)).toBe(true);
    expect(matches('Patient', 'gender:text=minin', gender)).toBe(false);
    expect(matches('Patient', 'gender:text=female', gender)).toBe(false);
  });

  it('_id matches the resource id', () => {
    expect(matches('Patient', '_id=p1', patient({}), 'p1')).toBe(true);
    expect(matches('Patient', '_id=p2,p1', patient({}), 'p1')).toBe(true);
    expect(matches('Patient', '_id=p2', patient({}), 'p1')).toBe(false);
    expect(matches('Patient', '_id:not=p1', patient({}), 'p1')).toBe(false);
    expect(matches('Patient', '_id:missing=true', patient({}), 'p1')).toBe(false);
  });
});

describe('date parameters: both the query and the resource value are ranges', () => {
  describe('R4 examples (search.html#date)', () => {
    it('eq2013-01-14 matches 2013-01-14T00:00 and also 2013-01-14T10:00, but not 2013-01-15T00:00', () => {
      expect(matches('Patient', 'birthdate=eq2013-01-14', { birthdate: [when('2013-01-14T00:00Z')] })).toBe(true);
      expect(matches('Patient', 'birthdate=eq2013-01-14', { birthdate: [when('2013-01-14T10:00Z')] })).toBe(true);
      expect(matches('Patient', 'birthdate=eq2013-01-14', { birthdate: [when('2013-01-15T00:00Z')] })).toBe(false);
      expect(matches('Patient', 'birthdate=eq2013-01-14', { birthdate: [when('2013-01-14')] })).toBe(true);
    });

    it('but eq2013-01-14T10:00 does not match a birthDate of 2013-01-14: the day is wider than the minute', () => {
      expect(matches('Patient', 'birthdate=eq2013-01-14T10:00Z', { birthdate: [when('2013-01-14')] })).toBe(false);
      expect(matches('Patient', 'birthdate=eq2013-01-14T10:00Z', { birthdate: [when('2013-01-14T10:00:30Z')] })).toBe(true);
    });

    it('ne2013-01-14 matches 2013-01-15T00:00 but not 2013-01-14T00:00 or 2013-01-14T10:00', () => {
      expect(matches('Patient', 'birthdate=ne2013-01-14', { birthdate: [when('2013-01-15T00:00Z')] })).toBe(true);
      expect(matches('Patient', 'birthdate=ne2013-01-14', { birthdate: [when('2013-01-14T00:00Z')] })).toBe(false);
      expect(matches('Patient', 'birthdate=ne2013-01-14', { birthdate: [when('2013-01-14T10:00Z')] })).toBe(false);
    });

    it('lt2013-01-14T10:00 and gt2013-01-14T10:00 both include the day 2013-01-14', () => {
      expect(matches('Patient', 'birthdate=lt2013-01-14T10:00Z', { birthdate: [when('2013-01-14')] })).toBe(true);
      expect(matches('Patient', 'birthdate=gt2013-01-14T10:00Z', { birthdate: [when('2013-01-14')] })).toBe(true);
    });

    it('ge2013-03-14 and le2013-03-14 both include a period "from 21-Jan 2013 onwards"', () => {
      const onwards = { date: [period('2013-01-21', undefined)] };
      expect(matches('Observation', 'date=ge2013-03-14', onwards)).toBe(true);
      expect(matches('Observation', 'date=le2013-03-14', onwards)).toBe(true);
      expect(matches('Observation', 'date=lt2013-03-14', onwards)).toBe(true);
      expect(matches('Observation', 'date=sa2013-03-14', onwards)).toBe(false);
    });
  });

  // Resource values at year, month, day and second precision, and a Period, against each prefix at year precision.
  const values = {
    year2019: when('2019'),
    year2020: when('2020'),
    month202006: when('2020-06'),
    day20200101: when('2020-01-01'),
    day20191231: when('2019-12-31'),
    second20210101: when('2021-01-01T00:00:00Z'),
    last2020: when('2020-12-31T23:59:59.999Z'),
    across: period('2019-12-15', '2020-01-15'), // starts in 2019, ends in 2020
    around: period('2019-06-01', '2021-06-01'), // covers the whole of 2020
  };
  const table: Record<string, readonly (keyof typeof values)[]> = {
    eq2020: ['year2020', 'month202006', 'day20200101', 'last2020'],
    ne2020: ['year2019', 'day20191231', 'second20210101', 'across', 'around'],
    gt2020: ['second20210101', 'around'],
    lt2020: ['year2019', 'day20191231', 'across', 'around'],
    ge2020: ['year2020', 'month202006', 'day20200101', 'second20210101', 'last2020', 'across', 'around'],
    le2020: ['year2019', 'year2020', 'month202006', 'day20200101', 'day20191231', 'last2020', 'across', 'around'],
    sa2020: ['second20210101'],
    eb2020: ['year2019', 'day20191231'],
  };
  it.each(Object.entries(table))('date=%s matches exactly %j', (query, expected) => {
    const matched = Object.entries(values)
      .filter(([, range]) => matches('Observation', `date=${query}`, { date: [range] }))
      .map(([name]) => name);
    expect(matched).toEqual(expected);
  });

  it('compares at month, day and second precision too', () => {
    const at = (query: string, value: DateRange) => matches('Observation', `date=${query}`, { date: [value] });
    expect(at('2013-01', when('2013-01-31T23:59:59Z'))).toBe(true);
    expect(at('2013-01', when('2013-02-01'))).toBe(false);
    expect(at('gt2013-01', when('2013-02-01'))).toBe(true);
    expect(at('lt2013-01-14', when('2013-01-13T23:59:59Z'))).toBe(true);
    expect(at('lt2013-01-14', when('2013-01-14T00:00:00Z'))).toBe(false);
    expect(at('2013-01-14T10:00:05Z', when('2013-01-14T10:00:05.300Z'))).toBe(true);
    expect(at('2013-01-14T10:00:05Z', when('2013-01-14T10:00:06Z'))).toBe(false);
    expect(at('gt2013-01-14T10:00:05Z', when('2013-01-14T10:00:06Z'))).toBe(true);
    expect(at('sa2013-01-14T10:00:05Z', when('2013-01-14T10:00:05.999Z'))).toBe(false);
  });

  it('applies the query time zone', () => {
    expect(matches('Observation', 'date=2013-01-14T10:00%2B01:00', { date: [when('2013-01-14T09:00:30Z')] })).toBe(true);
    expect(matches('Observation', 'date=2013-01-14T10:00%2B01:00', { date: [when('2013-01-14T10:00:30Z')] })).toBe(false);
  });

  describe('ap: overlaps the query range widened by 10% of its distance from now', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('is wide far from now and exact around now', () => {
      vi.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') });
      // ap2015 is ~9 years away, so it stretches ~0.9 year either side of 2015.
      expect(matches('Observation', 'date=ap2015', { date: [when('2014-03')] })).toBe(true);
      expect(matches('Observation', 'date=ap2015', { date: [when('2015-06-01')] })).toBe(true);
      expect(matches('Observation', 'date=ap2015', { date: [when('2013-06')] })).toBe(false);
      // ap2024-12-01 is a month away: about three days either side.
      expect(matches('Observation', 'date=ap2024-12-01', { date: [when('2024-11-29')] })).toBe(true);
      expect(matches('Observation', 'date=ap2024-12-01', { date: [when('2024-11-20')] })).toBe(false);
      expect(matches('Observation', 'date=ap2025-01-01', { date: [when('2025-01-01T10:00Z')] })).toBe(true);
      expect(matches('Observation', 'date=ap2025-01-01', { date: [when('2025-01-02')] })).toBe(false);
    });
  });

  it('matches when any of several values does', () => {
    expect(matches('Observation', 'date=2020', { date: [when('2019'), when('2020-05-05')] })).toBe(true);
    expect(matches('Observation', 'date=2018,2020', { date: [when('2020-05-05')] })).toBe(true);
    expect(matches('Observation', 'date=ge2020&date=lt2021', { date: [when('2020-05-05')] })).toBe(true);
    expect(matches('Observation', 'date=ge2020&date=lt2020-05', { date: [when('2020-05-05')] })).toBe(false);
  });

  it('_lastUpdated is a date like the others', () => {
    expect(matches('Patient', '_lastUpdated=gt2024-01-01', { _lastUpdated: [when('2024-06-01T12:00:00.000Z')] })).toBe(true);
    expect(matches('Patient', '_lastUpdated=gt2024-01-01', { _lastUpdated: [when('2023-06-01T12:00:00.000Z')] })).toBe(false);
  });
});

describe('number parameters', () => {
  const probability = (value: number) => ({ probability: [value] });
  const at = (query: string, value: number) => matches('RiskAssessment', `probability=${query}`, probability(value));

  it('eq uses the range of the significant digits: 100 is [99.5, 100.5), 100.00 is [99.995, 100.005)', () => {
    expect([99.5, 100, 100.4999].map((value) => at('100', value))).toEqual([true, true, true]);
    expect([99.4999, 100.5].map((value) => at('100', value))).toEqual([false, false]);
    expect([100.004, 99.995].map((value) => at('100.00', value))).toEqual([true, true]);
    expect([100.005, 100.01].map((value) => at('100.00', value))).toEqual([false, false]);
  });

  it('1e2 is [95, 105), as R4 says', () => {
    expect([95, 104.9].map((value) => at('1e2', value))).toEqual([true, true]);
    expect([94.9, 105].map((value) => at('1e2', value))).toEqual([false, false]);
  });

  it('gt, lt, ge, le compare with the exact value; ne, sa, eb with the range', () => {
    expect([at('lt100', 99.9), at('lt100', 100)]).toEqual([true, false]);
    expect([at('le100', 100), at('le100', 100.1)]).toEqual([true, false]);
    expect([at('gt100', 100.1), at('gt100', 100)]).toEqual([true, false]);
    expect([at('ge100', 100), at('ge100', 99.9)]).toEqual([true, false]);
    expect([at('ne100', 100.6), at('ne100', 100.2)]).toEqual([true, false]);
    expect([at('sa100', 100.5), at('sa100', 100.4)]).toEqual([true, false]);
    expect([at('eb100', 99.4), at('eb100', 99.5)]).toEqual([true, false]);
  });

  it('ap allows 10% of the value either side', () => {
    expect([at('ap100', 109), at('ap100', 91), at('ap100', 111), at('ap100', 89)]).toEqual([true, true, false, false]);
  });

  it('handles negative numbers', () => {
    expect([at('-5', -5.4), at('-5', -5.6), at('-5', -4.5), at('lt-5', -6), at('gt-5', -4)]).toEqual([true, false, false, true, true]);
  });
});

describe('quantity parameters', () => {
  const ucum = 'http://unitsofmeasure.org';
  const mg = { 'value-quantity': [{ value: 5.4, system: ucum, code: 'mg', unit: 'milligram' }] };
  const at = (query: string, values: SearchValues = mg) => matches('Observation', `value-quantity=${query}`, values);

  it('number|system|code matches value, system and code', () => {
    expect(at(`5.4|${ucum}|mg`)).toBe(true);
    expect(at(`5.4|${ucum}|g`)).toBe(false);
    expect(at('5.4|urn:other|mg')).toBe(false);
    expect(at(`6|${ucum}|mg`)).toBe(false);
  });

  it('number||code matches the code or the unit, in any system', () => {
    expect(at('5.4||mg')).toBe(true);
    expect(at('5.4||milligram')).toBe(true);
    expect(at('5.4||g')).toBe(false);
  });

  it('a bare number matches whatever the unit', () => {
    expect(at('5.4')).toBe(true);
    expect(at('ge5')).toBe(true);
    expect(at('lt5')).toBe(false);
  });

  it('compares without converting units (R4 example: 5.40e-3|…|g)', () => {
    expect(at(`5.40e-3|${ucum}|g`, { 'value-quantity': [{ value: 0.0054, system: ucum, code: 'g' }] })).toBe(true);
    expect(at(`5.40e-3|${ucum}|g`)).toBe(false); // 5.4 mg is 0.0054 g, but we do not convert
  });

  it('reads a stored comparator as a half-line', () => {
    const below5 = { 'value-quantity': [{ value: 5, comparator: '<', code: 'mg' }] };
    expect(at('lt3', below5)).toBe(true);
    expect(at('5', below5)).toBe(false);
    expect(at('gt10', below5)).toBe(false);
    const atLeast5 = { 'value-quantity': [{ value: 5, comparator: '>=', code: 'mg' }] };
    expect(at('gt10', atLeast5)).toBe(true);
    expect(at('lt3', atLeast5)).toBe(false);
  });
});

describe('reference parameters', () => {
  const subject = (...refs: string[]) => ({ subject: refs });

  it('Type/id matches that reference exactly', () => {
    expect(matches('Observation', 'subject=Patient/123', subject('Patient/123'))).toBe(true);
    expect(matches('Observation', 'subject=Patient/123', subject('Group/123'))).toBe(false);
    expect(matches('Observation', 'subject=Patient/123', subject('Patient/1234'))).toBe(false);
  });

  it('a bare id matches any local Type/id with that id, or only the modifier type', () => {
    expect(matches('Observation', 'subject=123', subject('Group/123'))).toBe(true);
    expect(matches('Observation', 'subject:Patient=123', subject('Group/123'))).toBe(false);
    expect(matches('Observation', 'subject:Patient=123', subject('Patient/123'))).toBe(true);
  });

  it('an absolute URL matches the same URL only, and a bare id never matches another server', () => {
    const url = 'https://other.example/fhir/Patient/123';
    expect(matches('Observation', `subject=${url}`, subject(url))).toBe(true);
    expect(matches('Observation', `subject=${url}`, subject('Patient/123'))).toBe(false);
    expect(matches('Observation', 'subject=123', subject(url))).toBe(false);
  });

  it('ignores a stored version unless the query names one', () => {
    expect(matches('Observation', 'subject=Patient/123', subject('Patient/123/_history/4'))).toBe(true);
    expect(matches('Observation', 'subject=Patient/123/_history/4', subject('Patient/123/_history/4'))).toBe(true);
    expect(matches('Observation', 'subject=Patient/123/_history/3', subject('Patient/123/_history/4'))).toBe(false);
  });

  it(':identifier matches Reference.identifier values stored as tokens with the reference', () => {
    const values = { subject: ['Patient/123', { system: 'urn:ins', code: '1850775123456' }] };
    expect(matches('Observation', 'subject:identifier=urn:ins|1850775123456', values)).toBe(true);
    expect(matches('Observation', 'subject:identifier=urn:ins|1', values)).toBe(false);
  });

  it('leaves chained clauses to the search executor', () => {
    const { clauses } = parseSearchRequest('Observation', [['patient.name', 'Hélène']], { lenient: false });
    const [chained] = clauses;
    if (!chained) throw new Error('no clause');
    expect(matchesClause({}, chained, { resourceType: 'Observation', id: 'o1' })).toBe(true);
  });
});

describe('uri parameters', () => {
  const url = { url: ['http://acme.org/fhir/ValueSet/123'] };

  it('match exactly by default', () => {
    expect(matches('ValueSet', 'url=http://acme.org/fhir/ValueSet/123', url)).toBe(true);
    expect(matches('ValueSet', 'url=http://acme.org/fhir/ValueSet', url)).toBe(false);
    expect(matches('ValueSet', 'url=HTTP://acme.org/fhir/ValueSet/123', url)).toBe(false);
  });

  it(':below matches values under the given URI, :above values the given URI is under', () => {
    expect(matches('ValueSet', 'url:below=http://acme.org/fhir/', url)).toBe(true);
    expect(matches('ValueSet', 'url:below=http://acme.org/other/', url)).toBe(false);
    expect(matches('ValueSet', 'url:above=http://acme.org/fhir/ValueSet/123/_history/5', url)).toBe(true);
    expect(matches('ValueSet', 'url:above=http://acme.org/fhir/', url)).toBe(false);
  });
});

describe(':missing, on every parameter type', () => {
  const cases: readonly [ResourceType, string, SearchValue][] = [
    ['Patient', 'name', 'Hélène'],
    ['Patient', 'gender', { code: 'female' }],
    ['Patient', 'birthdate', when('2013-01-14')],
    ['RiskAssessment', 'probability', 0.5],
    ['Observation', 'value-quantity', { value: 5 }],
    ['Observation', 'subject', 'Patient/1'],
    ['ValueSet', 'url', 'http://acme.org/vs'],
  ];
  it.each(cases)('%s?%s:missing', (type, code, value) => {
    expect(matches(type, `${code}:missing=true`, {})).toBe(true);
    expect(matches(type, `${code}:missing=true`, { [code]: [] })).toBe(true);
    expect(matches(type, `${code}:missing=true`, { [code]: [value] })).toBe(false);
    expect(matches(type, `${code}:missing=false`, { [code]: [value] })).toBe(true);
    expect(matches(type, `${code}:missing=false`, {})).toBe(false);
  });
});

describe('sortValue', () => {
  it('sorts dates on their start ascending and their end descending, earliest or latest value first', () => {
    const values = { date: [period('2020-01-01', '2020-12-31'), when('2019-06-01')] };
    expect(sortValue(values, { code: 'date', descending: false })).toBe('2019-06-01T00:00:00.000Z');
    expect(sortValue(values, { code: 'date', descending: true })).toBe('2020-12-31T23:59:59.999Z');
  });

  it('gives strings that order like the values, and undefined without a value', () => {
    const key = { code: 'probability', descending: false };
    const nine = sortValue({ probability: [9] }, key) ?? '';
    const ten = sortValue({ probability: [10] }, key) ?? '';
    const minus = sortValue({ probability: [-1] }, key) ?? '';
    expect(minus < nine && nine < ten).toBe(true);
    expect(sortValue({}, key)).toBeUndefined();
    expect(sortValue({ name: ['Émilie'] }, { code: 'name', descending: false })).toBe('emilie');
  });
});

describe('matchesClause on anything', () => {
  const queries: readonly [ResourceType, string][] = [
    ['Patient', 'name=hel'], ['Patient', 'name:exact=Hélène'], ['Patient', 'name:contains=x'], ['Patient', 'gender=female'],
    ['Patient', 'gender:not=male'], ['Patient', 'gender:text=fem'], ['Patient', 'identifier=|1'], ['Patient', 'identifier=s|'],
    ['Patient', 'birthdate=ap2013'], ['Patient', 'birthdate=ne2013-01-14T10:00Z'], ['Patient', 'birthdate:missing=false'], ['Patient', '_id=x'],
    ['RiskAssessment', 'probability=ap1e2'], ['Observation', 'value-quantity=lt5||mg'], ['Observation', 'subject=Patient/1/_history/2'],
    ['Observation', 'subject=1'], ['Observation', 'subject=urn:uuid:1'], ['Observation', 'subject:identifier=a|b'], ['ValueSet', 'url:above=http://a'],
    ['Observation', 'patient.name=x'],
  ];
  const clauses = queries.flatMap(([type, query]) => parseSearchRequest(type, [...new URLSearchParams(query)], { lenient: false }).clauses);
  const codes = [...new Set(clauses.map((clause) => clause.code)), '__proto__', 'constructor'];

  it('never throws, whatever the stored values hold', () => {
    const stored = fc.oneof(
      fc.dictionary(fc.constantFrom(...codes), fc.array(fc.anything())),
      fc.dictionary(fc.constantFrom(...codes), fc.anything()),
      fc.anything(),
    );
    fc.assert(
      fc.property(stored, fc.constantFrom(...clauses), fc.string(), (values, clause, id) => {
        const result = matchesClause(values as SearchValues, clause, { resourceType: 'Patient', id });
        expect(typeof result).toBe('boolean');
        for (const descending of [false, true]) sortValue(values as SearchValues, { code: clause.code, descending });
      }),
      { numRuns: 2000 },
    );
  });
});
