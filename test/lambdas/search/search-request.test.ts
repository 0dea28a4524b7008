import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Invalid } from '../../../lambdas/fhir/errors';
import type { ResourceType } from '../../../lambdas/fhir/registry/registry';
import { canonicalQuery, MAX_COUNT, parseSearchRequest, type SearchRequest } from '../../../lambdas/search/search-request';

/** Parses `query` as a client would send it (`+` and `%xx` decoded). */
function parse(type: ResourceType, query: string, lenient = false): SearchRequest {
  return parseSearchRequest(type, [...new URLSearchParams(query)], { lenient });
}

/** The diagnostics of the Invalid that strict handling throws (fails the test if none). */
function problems(type: ResourceType, query: string): string[] {
  try {
    parse(type, query);
  } catch (error) {
    expect(error).toBeInstanceOf(Invalid);
    const invalid = error as Invalid;
    expect(invalid.status).toBe(400);
    for (const issue of invalid.issues) {
      expect(issue.severity).toBe('error');
      expect(['invalid', 'not-supported']).toContain(issue.code);
    }
    return invalid.issues.map((issue) => issue.diagnostics);
  }
  throw new Error(`expected ${type}?${query} to be rejected`);
}

describe('parseSearchRequest: clauses', () => {
  it('makes one clause per occurrence (AND) and one value per comma (OR)', () => {
    const request = parse('Patient', 'name=Hélène,Zoé&name=Dupont');
    expect(request.clauses.map((clause) => clause.values.length)).toEqual([2, 1]);
    expect(request.clauses[0]?.values).toEqual([
      { kind: 'string', raw: 'Hélène', normalized: 'helene' },
      { kind: 'string', raw: 'Zoé', normalized: 'zoe' },
    ]);
  });

  it('reads \\, \\| \\$ and \\\\ as literal characters, not separators', () => {
    const [clause] = parse('Patient', `name=${encodeURIComponent('Dupont\\, Hélène,a\\\\b\\$c')}`).clauses;
    expect(clause?.values.map((value) => value.kind === 'string' && value.raw)).toEqual(['Dupont, Hélène', 'a\\b$c']);
    const [token] = parse('Patient', `identifier=${encodeURIComponent('urn:x\\|y|12\\,3')}`).clauses;
    expect(token?.values).toEqual([{ kind: 'token', system: 'urn:x|y', code: '12,3' }]);
  });

  it('keeps the parameter definition and the modifier on each clause', () => {
    const [clause] = parse('Patient', 'name:exact=Hélène').clauses;
    expect(clause).toMatchObject({ code: 'name', modifier: 'exact', param: { code: 'name', type: 'string' } });
  });

  it('parses tokens: code, system|code, |code (no system), system| (any code), :text', () => {
    const values = parse('Patient', 'identifier=123&identifier=urn:sys|123&identifier=|123&identifier=urn:sys|&gender:text=Fémi').clauses.map((clause) => clause.values[0]);
    expect(values).toEqual([
      { kind: 'token', code: '123' },
      { kind: 'token', system: 'urn:sys', code: '123' },
      { kind: 'token', system: null, code: '123' },
      { kind: 'token', system: 'urn:sys' },
      { kind: 'token', text: 'femi' },
    ]);
  });

  it('parses dates with a prefix into the range their precision implies (UTC)', () => {
    const values = parse('Patient', 'birthdate=2013&birthdate=ge2013-02&birthdate=lt2013-01-14&birthdate=2013-01-14T10:00%2B01:00&birthdate=eb2013-01-14T10:00:05Z&birthdate=2013-01-14T10:00:05.5Z')
      .clauses.map((clause) => clause.values[0]);
    expect(values).toEqual([
      { kind: 'date', prefix: 'eq', precision: 'year', range: { start: '2013-01-01T00:00:00.000Z', end: '2013-12-31T23:59:59.999Z' } },
      { kind: 'date', prefix: 'ge', precision: 'month', range: { start: '2013-02-01T00:00:00.000Z', end: '2013-02-28T23:59:59.999Z' } },
      { kind: 'date', prefix: 'lt', precision: 'day', range: { start: '2013-01-14T00:00:00.000Z', end: '2013-01-14T23:59:59.999Z' } },
      { kind: 'date', prefix: 'eq', precision: 'minute', range: { start: '2013-01-14T09:00:00.000Z', end: '2013-01-14T09:00:59.999Z' } },
      { kind: 'date', prefix: 'eb', precision: 'second', range: { start: '2013-01-14T10:00:05.000Z', end: '2013-01-14T10:00:05.999Z' } },
      { kind: 'date', prefix: 'eq', precision: 'millisecond', range: { start: '2013-01-14T10:00:05.500Z', end: '2013-01-14T10:00:05.599Z' } },
    ]);
  });

  it('accepts leap days and the first and last years FHIR can write', () => {
    expect(() => parse('Patient', 'birthdate=2012-02-29&birthdate=0001&birthdate=9999-12-31T23:59:59Z&birthdate=2013-01-14T10:00:00-14:00')).not.toThrow();
  });

  it('gives numbers the range of their significant digits (R4 examples: 100, 100.00, 1e2)', () => {
    const values = parse('RiskAssessment', 'probability=100&probability=100.00&probability=1e2&probability=gt-0.5&probability=ap1.1e2').clauses.map((clause) => clause.values[0]);
    expect(values).toEqual([
      { kind: 'number', prefix: 'eq', raw: '100', value: 100, range: { low: 99.5, high: 100.5 } },
      { kind: 'number', prefix: 'eq', raw: '100.00', value: 100, range: { low: 99.995, high: 100.005 } },
      { kind: 'number', prefix: 'eq', raw: '1e2', value: 100, range: { low: 95, high: 105 } },
      { kind: 'number', prefix: 'gt', raw: '-0.5', value: -0.5, range: { low: -0.55, high: -0.45 } },
      { kind: 'number', prefix: 'ap', raw: '1.1e2', value: 110, range: { low: 109.5, high: 110.5 } },
    ]);
  });

  it('parses quantities: number, number|system|code, number||code (R4 examples)', () => {
    const values = parse('Observation', 'value-quantity=5.4|http://unitsofmeasure.org|mg&value-quantity=5.4||mg&value-quantity=le5.4&value-quantity=5.40e-3|http://unitsofmeasure.org|g')
      .clauses.map((clause) => clause.values[0]);
    expect(values).toMatchObject([
      { kind: 'quantity', prefix: 'eq', value: 5.4, system: 'http://unitsofmeasure.org', code: 'mg' },
      { kind: 'quantity', prefix: 'eq', value: 5.4, code: 'mg' },
      { kind: 'quantity', prefix: 'le', value: 5.4 },
      { kind: 'quantity', prefix: 'eq', value: 0.0054, system: 'http://unitsofmeasure.org', code: 'g' },
    ]);
    expect(values[1]).not.toHaveProperty('system');
    expect(values[2]).not.toHaveProperty('code');
  });

  it('parses references: Type/id, a bare id, :Type with a bare id, a versioned reference, an absolute URL', () => {
    const values = parse(
      'Observation',
      'subject=Patient/123&subject=123&subject:Patient=123&subject=Patient/123/_history/2&subject=https://other.example/fhir/Patient/123&patient=123',
    ).clauses.map((clause) => clause.values[0]);
    expect(values).toEqual([
      { kind: 'reference', type: 'Patient', id: '123' },
      { kind: 'reference', id: '123' }, // subject may refer to Patient, Group, Device or Location
      { kind: 'reference', type: 'Patient', id: '123' },
      { kind: 'reference', type: 'Patient', id: '123', version: '2' },
      { kind: 'reference', url: 'https://other.example/fhir/Patient/123' },
      { kind: 'reference', type: 'Patient', id: '123' }, // patient can only refer to a Patient
    ]);
  });

  it('reads :identifier on a reference as a token', () => {
    expect(parse('Observation', 'subject:identifier=urn:oid:1.2|42').clauses[0]).toMatchObject({
      modifier: 'identifier',
      values: [{ kind: 'token', system: 'urn:oid:1.2', code: '42' }],
    });
  });

  it('parses uri values and :missing on any type', () => {
    const [url, below, missing] = parse('ValueSet', 'url=http://acme.org/fhir/ValueSet/123&url:below=http://acme.org/fhir/&date:missing=true,false').clauses;
    expect(url?.values).toEqual([{ kind: 'uri', value: 'http://acme.org/fhir/ValueSet/123' }]);
    expect(below?.modifier).toBe('below');
    expect(missing?.values).toEqual([{ kind: 'missing', missing: true }, { kind: 'missing', missing: false }]);
  });

  it('takes letters as a prefix only on number, date and quantity parameters', () => {
    expect(parse('Patient', 'name=ge5').clauses[0]?.values).toEqual([{ kind: 'string', raw: 'ge5', normalized: 'ge5' }]);
    expect(parse('Patient', 'gender=eq').clauses[0]?.values).toEqual([{ kind: 'token', code: 'eq' }]);
  });

  it('parses the Resource-level parameters of every type', () => {
    const request = parse('Observation', '_id=a1&_lastUpdated=gt2024-01-01&_tag=urn:t|x&_security=R&_profile=http://p&_source=urn:s');
    expect(request.clauses.map((clause) => [clause.code, clause.param.type])).toEqual([
      ['_id', 'token'], ['_lastUpdated', 'date'], ['_tag', 'token'], ['_security', 'token'], ['_profile', 'uri'], ['_source', 'uri'],
    ]);
  });
});

describe('parseSearchRequest: chains', () => {
  it('follows a chain through a :Type modifier', () => {
    expect(parse('Observation', 'subject:Patient.identifier=urn:ins|1234').clauses[0]).toMatchObject({
      code: 'subject',
      modifier: 'Patient',
      values: [],
      chain: { targetType: 'Patient', clause: { code: 'identifier', values: [{ kind: 'token', system: 'urn:ins', code: '1234' }] } },
    });
  });

  it('infers the target when the reference can only point to one type', () => {
    expect(parse('Observation', 'patient.name=Hélène').clauses[0]?.chain).toMatchObject({
      targetType: 'Patient',
      clause: { code: 'name', values: [{ kind: 'string', normalized: 'helene' }] },
    });
  });

  it('follows several links, with modifiers on the last', () => {
    const clause = parse('Observation', 'patient.organization.name:exact=Hôpital').clauses[0];
    expect(clause?.chain?.clause.chain).toMatchObject({ targetType: 'Organization', clause: { code: 'name', modifier: 'exact' } });
  });

  it('rejects ambiguous, non-reference, unknown, too-long and mistyped chains', () => {
    expect(problems('Observation', 'subject.name=x')).toEqual([
      'Chained parameter "subject" may refer to several types; name one, e.g. "subject:Patient.name" (in "subject.name")',
    ]);
    expect(problems('Observation', 'code.name=x')).toEqual(['Search parameter "code" of Observation is not a reference and cannot be chained (in "code.name")']);
    expect(problems('Observation', 'patient.colour=x')).toEqual(['Unknown search parameter "colour" for Patient (in "patient.colour")']);
    expect(problems('Observation', 'patient.link:Patient.link:Patient.link:Patient.name=x')[0]).toMatch(/^Chains longer than 3 links are not supported/);
    expect(problems('Observation', 'subject:Practitioner.name=x')[0]).toMatch(/^Modifier ":Practitioner" on chained parameter "subject"/);
    expect(problems('Observation', 'patient.birthdate=2020-13')).toEqual(['Invalid date "2020-13" in date parameter "birthdate" (in "patient.birthdate")']);
  });
});

describe('parseSearchRequest: strict handling names what it rejects', () => {
  it.each([
    ['Patient', 'colour=blue', 'Unknown search parameter "colour" for Patient'],
    ['Patient', 'gender:exact=male', 'Modifier ":exact" is not supported on token parameter "gender"'],
    ['Patient', 'birthdate:contains=2020', 'Modifier ":contains" is not supported on date parameter "birthdate"'],
    ['Patient', 'name:not=x', 'Modifier ":not" is not supported on string parameter "name"'],
    ['Patient', 'name:foo=x', 'Modifier ":foo" is not supported on string parameter "name"'],
    ['Patient', 'gender:in=http://vs', 'Modifier ":in" is not supported on token parameter "gender"'],
    ['Patient', 'gender:below=x', 'Modifier ":below" is not supported on token parameter "gender"'],
    ['Patient', 'organization:Practitioner=1', 'Modifier ":Practitioner" is not supported on reference parameter "organization" (it cannot refer to Practitioner)'],
    ['Patient', 'birthdate=xx2020', 'Unknown prefix "xx" in "xx2020" for date parameter "birthdate"'],
    ['Patient', 'birthdate=2020-13', 'Invalid date "2020-13" in date parameter "birthdate"'],
    ['Patient', 'birthdate=2013-02-29', 'Invalid date "2013-02-29" in date parameter "birthdate"'],
    ['Patient', 'birthdate=2013-01-14T25:00Z', 'Invalid date "2013-01-14T25:00Z" in date parameter "birthdate"'],
    ['Patient', 'birthdate=14/01/2013', 'Invalid date "14/01/2013" in date parameter "birthdate"'],
    ['RiskAssessment', 'probability=1.5.5', 'Invalid number "1.5.5" in number parameter "probability"'],
    ['RiskAssessment', 'probability=0x10', 'Invalid number "0x10" in number parameter "probability"'],
    ['RiskAssessment', 'probability=1e999', 'Invalid number "1e999" in number parameter "probability"'],
    ['RiskAssessment', 'probability=abc', 'Unknown prefix "ab" in "abc" for number parameter "probability"'],
    ['Observation', 'value-quantity=5.4|mg', 'Invalid quantity "5.4|mg" in quantity parameter "value-quantity": use [prefix]number, number|system|code or number||code'],
    ['Patient', 'identifier=|', 'Invalid token "|" in token parameter "identifier": use code, system|code, |code or system|'],
    ['Patient', 'gender:missing=yes', '":missing" on token parameter "gender" must be true or false, not "yes"'],
    ['Patient', 'name=', 'Search parameter "name" has an empty value'],
    ['Patient', 'name=a,,b', 'Search parameter "name" has an empty value'],
    ['Observation', 'subject=Foo/1', 'Invalid reference "Foo/1" in reference parameter "subject": unknown resource type "Foo"'],
    ['Observation', 'subject=Encounter/1', 'Invalid reference "Encounter/1" in reference parameter "subject": the parameter cannot refer to Encounter'],
    ['Observation', 'subject:Patient=Group/1', 'Invalid reference "Group/1" in reference parameter "subject": it is not a Patient'],
    ['Observation', 'subject=not an id', 'Invalid reference "not an id" in reference parameter "subject": not an id, Type/id or absolute URL'],
    ['Observation', 'code-value-quantity=x', 'Search parameter "code-value-quantity" (composite) is not supported'],
    ['Patient', '_text=x', 'Search parameter "_text" (string) is not supported'],
    ['Patient', '_has:Observation:patient:code=1234', 'Search parameter "_has" is not supported'],
    ['Patient', '_type=Patient', 'Search parameter "_type" is not supported'],
  ] as const)('%s?%s', (type, query, diagnostics) => {
    expect(problems(type, query)).toEqual([diagnostics]);
  });

  it('reports every problem at once', () => {
    expect(problems('Patient', 'colour=blue&gender:exact=male&birthdate=2020-13&name=ok')).toHaveLength(3);
  });

  it('cuts long offending text short in diagnostics', () => {
    const [diagnostics = ''] = problems('Patient', `${'x'.repeat(10_000)}=1`);
    expect(diagnostics.length).toBeLessThan(200);
    expect(diagnostics).toMatch(/^Unknown search parameter "x+…" for Patient$/);
  });
});

describe('parseSearchRequest: lenient handling (Prefer: handling=lenient)', () => {
  it('skips what strict handling rejects, keeps the rest, and says what it ignored', () => {
    const request = parse('Patient', 'colour=blue&name=Hélène&gender:exact=male&birthdate=2020-13&_count=abc&_sort=-birthdate,name', true);
    expect(request.clauses.map((clause) => clause.code)).toEqual(['name']);
    expect(request.count).toBeUndefined();
    expect(request.sort).toEqual([{ code: 'birthdate', descending: true }]);
    expect(request.ignored.every((issue) => issue.severity === 'warning')).toBe(true);
    expect(request.ignored.map((issue) => issue.diagnostics)).toEqual([
      'Unknown search parameter "colour" for Patient',
      'Modifier ":exact" is not supported on token parameter "gender"',
      'Invalid date "2020-13" in date parameter "birthdate"',
      '"_count" must be a whole number from 0 to 1000, not "abc"',
      'Sorting on "name" is not supported for Patient: only its date parameters and _lastUpdated',
    ]);
  });

  it('ignores nothing in strict handling when all is well', () => {
    expect(parse('Patient', 'name=x').ignored).toEqual([]);
  });
});

describe('parseSearchRequest: result parameters', () => {
  it('parses _sort in order, - meaning descending', () => {
    expect(parse('Observation', '_sort=date,-_lastUpdated').sort).toEqual([
      { code: 'date', descending: false },
      { code: '_lastUpdated', descending: true },
    ]);
    expect(parse('Patient', '_sort=-birthdate').sort).toEqual([{ code: 'birthdate', descending: true }]);
    expect(parse('Patient', '_sort=birthdate,-birthdate').sort).toEqual([{ code: 'birthdate', descending: false }]);
  });

  it('sorts only on the date parameters of the type and _lastUpdated', () => {
    expect(problems('Patient', '_sort=name')).toEqual(['Sorting on "name" is not supported for Patient: only its date parameters and _lastUpdated']);
    expect(problems('Observation', '_sort=birthdate')).toEqual(['Sorting on "birthdate" is not supported for Observation: only its date parameters and _lastUpdated']);
    expect(problems('Patient', '_sort=')).toEqual(['"_sort" has no value']);
    expect(problems('Patient', '_sort=-')).toEqual(['Sorting on "" is not supported for Patient: only its date parameters and _lastUpdated']);
  });

  it('bounds _count to 0..1000: 0 asks for no entries, more is capped, anything else is rejected', () => {
    expect(parse('Patient', '_count=0').count).toBe(0);
    expect(parse('Patient', '_count=1000').count).toBe(MAX_COUNT);
    expect(parse('Patient', '_count=1001').count).toBe(MAX_COUNT);
    expect(parse('Patient', `_count=${'9'.repeat(400)}`).count).toBe(MAX_COUNT);
    expect(parse('Patient', 'name=x').count).toBeUndefined();
    for (const bad of ['-1', '1.5', 'abc', '', '1e2', '+5', ' 5']) {
      expect(problems('Patient', `_count=${encodeURIComponent(bad)}`), bad).toEqual([`"_count" must be a whole number from 0 to 1000, not "${bad}"`]);
    }
    expect(problems('Patient', '_count=1&_count=2')).toEqual(['"_count" may appear only once']);
  });

  it('parses _summary, _total and _elements, and passes _cursor through', () => {
    const request = parse('Patient', '_summary=count&_total=accurate&_elements=name,birthDate,name&_cursor=eyJwayI6IngifQ');
    expect(request).toMatchObject({ summary: 'count', total: 'accurate', elements: ['name', 'birthDate'], cursor: 'eyJwayI6IngifQ' });
    expect(problems('Patient', '_summary=maybe')).toEqual(['"_summary" must be one of count, true, false, text, data, not "maybe"']);
    expect(problems('Patient', '_summary=true')).toEqual(['"_summary"=true is not supported: use count, data or false']);
    expect(problems('Patient', '_summary=text')).toEqual(['"_summary"=text is not supported: use count, data or false']);
    expect(parse('Patient', '_summary=data').summary).toBe('data');
    expect(problems('Patient', '_total=all')).toEqual(['"_total" must be one of none, estimate, accurate, not "all"']);
    expect(problems('Patient', '_elements=name.given')).toEqual(['"_elements" must list top-level element names; "name.given" is not one']);
    expect(problems('Patient', '_count:exact=1')).toEqual(['Modifier ":exact" is not supported on "_count"']);
  });

  it('leaves _format and _pretty to the HTTP layer', () => {
    const request = parse('Patient', '_format=json&_pretty=true&_format=xml');
    expect(request).toMatchObject({ clauses: [], ignored: [] });
  });
});

describe('parseSearchRequest: _include and _revinclude', () => {
  it('accepts a reference parameter of the searched type, optionally with a target type or :iterate', () => {
    const request = parse(
      'Observation',
      '_include=Observation:patient&_include=Observation:subject:Patient&_include:iterate=Patient:general-practitioner&_revinclude=Provenance:target',
    );
    expect(request.include).toEqual([
      { sourceType: 'Observation', code: 'patient', iterate: false },
      { sourceType: 'Observation', code: 'subject', targetType: 'Patient', iterate: false },
      { sourceType: 'Patient', code: 'general-practitioner', iterate: true },
    ]);
    expect(request.revinclude).toEqual([{ sourceType: 'Provenance', code: 'target', iterate: false }]);
  });

  it('rejects wildcards, non-reference parameters, other source types and impossible targets', () => {
    expect(problems('Observation', '_include=*')).toEqual(['Wildcard "_include=*" is not supported: name the reference parameter']);
    expect(problems('Observation', '_include=Observation:*')).toEqual(['Wildcard "_include=Observation:*" is not supported: name the reference parameter']);
    expect(problems('Observation', '_include=Observation:code')).toEqual(['"_include=Observation:code": "code" is not a reference parameter of Observation']);
    expect(problems('Observation', '_include=Patient:organization')).toEqual(['"_include=Patient:organization" must start with the searched type Observation']);
    expect(problems('Observation', '_include=Observation:subject:Encounter')).toEqual(['"_include=Observation:subject:Encounter": Observation.subject cannot refer to "Encounter"']);
    expect(problems('Observation', '_include=Observation')).toEqual(['"_include=Observation" must be Type:parameter or Type:parameter:TargetType']);
    expect(problems('Observation', '_include=Foo:bar')).toEqual(['"_include=Foo:bar": unknown resource type "Foo"']);
    expect(problems('Patient', '_revinclude=Observation:encounter')).toEqual(['"_revinclude=Observation:encounter": Observation.encounter cannot refer to Patient']);
    expect(problems('Patient', '_revinclude=Provenance:target:Encounter')).toEqual(['"_revinclude=Provenance:target:Encounter": the target type must be the searched type Patient']);
    expect(parse('Patient', '_revinclude=Provenance:target:Patient').revinclude).toEqual([{ sourceType: 'Provenance', code: 'target', targetType: 'Patient', iterate: false }]);
    expect(problems('Patient', '_include:deep=Patient:link')).toEqual(['Modifier ":deep" is not supported on "_include": only :iterate']);
  });

  it('ignores a wildcard in lenient handling', () => {
    const request = parse('Observation', '_include=*&_include=Observation:patient', true);
    expect(request.include).toEqual([{ sourceType: 'Observation', code: 'patient', iterate: false }]);
    expect(request.ignored).toHaveLength(1);
  });
});

describe('canonicalQuery', () => {
  const canonical = (type: ResourceType, query: string) => canonicalQuery(parse(type, query));

  it('is the same for the same search written differently', () => {
    expect(canonical('Patient', 'name=Hélène&birthdate=2013')).toBe(canonical('Patient', 'birthdate=eq2013&name=HELENE'));
    expect(canonical('Observation', 'patient.name=x')).toBe(canonical('Observation', 'patient:Patient.name=x'));
    expect(canonical('Patient', 'organization=123')).toBe(canonical('Patient', 'organization=Organization/123'));
    expect(canonical('Observation', 'subject:Patient=123')).toBe(canonical('Observation', 'subject=Patient/123'));
    expect(canonical('Patient', 'birthdate=2013-01-14T10:00%2B01:00')).toBe(canonical('Patient', 'birthdate=2013-01-14T09:00Z'));
    expect(canonical('Patient', 'name=x&_count=5&_sort=birthdate')).toBe(canonical('Patient', 'name=x'));
  });

  it('differs when the meaning differs', () => {
    const distinct = [
      'name:exact=Hélène', 'name:exact=helene', 'name=a,b', `name=${encodeURIComponent('a\\,b')}`, 'name=a&name=b', 'name:contains=a',
      'identifier=a', 'identifier=|a', 'identifier=a|', 'birthdate=2013', 'birthdate=ge2013', 'birthdate=2013-01',
    ];
    expect(new Set(distinct.map((query) => canonical('Patient', query))).size).toBe(distinct.length);
    expect(canonical('RiskAssessment', 'probability=100')).not.toBe(canonical('RiskAssessment', 'probability=100.00'));
  });

  it('keeps values in their order and sorts clauses', () => {
    expect(canonical('Patient', 'name=b,a&gender=male')).toBe('gender=male&name=b,a');
    expect(canonical('Observation', 'value-quantity=ap5.4|http://unitsofmeasure.org|mg&subject:Patient.identifier=urn:x|1')).toBe(
      'subject:Patient.identifier=urn:x|1&value-quantity=ap5.4|http://unitsofmeasure.org|mg',
    );
  });

  it('escapes separators inside values', () => {
    expect(canonical('Patient', `name:exact=${encodeURIComponent('a\\,b&c=d')}`)).toBe('name:exact=a%5C%2Cb%26c%3Dd');
  });
});

describe('parseSearchRequest on anything', () => {
  const names = fc.oneof(
    fc.constantFrom(
      'name', 'name:exact', 'name:contains', 'gender', 'gender:not', 'gender:text', 'birthdate', 'birthdate:missing', 'identifier',
      'organization', 'organization:Organization', 'link:Patient.name', 'general-practitioner.name', '_id', '_lastUpdated', '_count',
      '_sort', '_include', '_include:iterate', '_revinclude', '_summary', '_total', '_elements', '_cursor', '_format', '_has:Observation:patient:code',
      'constructor', '__proto__', 'toString', 'hasOwnProperty', 'name.', '.name', ':', '', 'value-quantity', 'date', 'subject',
      'subject:Patient.birthdate', 'patient.name', 'probability', 'code:text', 'url:below',
    ),
    fc.string(),
    fc.string({ unit: 'binary' }),
  );
  const values = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      "' OR 1=1 --", '"; DROP TABLE patients; --', '<script>alert(1)</script>', '%00', '\u0000', '${process.exit()}', '../../etc/passwd',
      '{"$ne":null}', 'ge', 'eq', 'ap-', '1e-400', '1e99999999999', '9'.repeat(200), 'x'.repeat(100_000), '\\', '\\\\,|', '|||', ',,,',
      '2013-01-14T10:00:00.123456789Z', '0000', '2013-02-30', 'Patient/', '/1', 'http://', 'Patient/1/_history/', 'true', 'Hélène',
    ),
  );
  const pairs = fc.array(fc.tuple(names, values), { maxLength: 8 });
  const types = fc.constantFrom<ResourceType>('Patient', 'Observation', 'RiskAssessment', 'ValueSet');

  it('returns or throws Invalid in strict handling, never anything else', () => {
    fc.assert(
      fc.property(types, pairs, (type, params) => {
        try {
          const request = parseSearchRequest(type, params, { lenient: false });
          expect(request.ignored).toEqual([]);
          canonicalQuery(request);
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          expect(error.issues.length).toBeGreaterThan(0);
          for (const issue of error.issues) expect(issue.diagnostics.length).toBeLessThan(400);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws in lenient handling', () => {
    fc.assert(
      fc.property(types, pairs, (type, params) => {
        const request = parseSearchRequest(type, params, { lenient: true });
        expect(request.ignored.every((issue) => issue.severity === 'warning')).toBe(true);
        canonicalQuery(request);
      }),
      { numRuns: 500 },
    );
  });
});
