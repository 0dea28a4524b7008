import { describe, expect, it } from 'vitest';
import { stringifyFhirJson } from '../../../lambdas/fhir/json';
import { parseNdjson } from '../../../lambdas/bundle/ndjson';

describe('parseNdjson', () => {
  it('reads one resource per line, skipping blank lines, with one-based line numbers', () => {
    const { resources, problems } = parseNdjson('{"resourceType":"Patient","id":"a"}\n\n   \r\n{"resourceType":"Observation","id":"b"}\r\n');
    expect(resources.map(({ line, resource }) => [line, resource.resourceType, resource.id])).toEqual([
      [1, 'Patient', 'a'],
      [4, 'Observation', 'b'],
    ]);
    expect(problems).toEqual([]);
  });

  it('reports each bad line by its number and keeps the good ones', () => {
    const { resources, problems } = parseNdjson(['{"resourceType":"Patient"}', '{not json', '[1]', '{"id":"x"}', '{"resourceType":"Patient","a":1,"a":2}'].join('\n'));
    expect(resources.map(({ line }) => line)).toEqual([1]);
    expect(problems.map(({ line }) => line)).toEqual([2, 3, 4, 5]);
    expect(problems[0]?.issues[0]?.diagnostics).toMatch(/^line 2: Malformed JSON/);
    expect(problems[2]?.issues[0]?.diagnostics).toBe('line 4: Each NDJSON line must be one FHIR resource, with its resourceType');
    expect(problems[3]?.issues[0]?.diagnostics).toMatch(/^line 5: Duplicate JSON property/);
  });

  it('keeps FHIR decimals as written', () => {
    const { resources } = parseNdjson('{"resourceType":"Observation","valueQuantity":{"value":7.10}}');
    expect(stringifyFhirJson(resources[0]?.resource)).toBe('{"resourceType":"Observation","valueQuantity":{"value":7.10}}');
  });

  it('reads an empty file as nothing', () => {
    expect(parseNdjson('')).toEqual({ resources: [], problems: [] });
  });
});
