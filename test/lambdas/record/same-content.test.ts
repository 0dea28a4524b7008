import { describe, expect, it } from 'vitest';
import { parseFhirJson } from '../../../lambdas/fhir/json';
import { hasSameContent } from '../../../lambdas/record/same-content';

/** When an update is a no-op: its body says what the current version says, the server's meta aside. */

const stored = parseFhirJson(
  '{"resourceType":"Observation","id":"o1","meta":{"versionId":"3","lastUpdated":"2026-03-01T12:00:00.000Z"},"status":"final","valueQuantity":{"value":1.50,"unit":"mmol/L"}}',
) as Record<string, unknown>;

describe('hasSameContent', () => {
  it('holds for the same content without meta, with keys in another order', () => {
    const body = parseFhirJson('{"valueQuantity":{"unit":"mmol/L","value":1.50},"status":"final","id":"o1","resourceType":"Observation"}') as Record<string, unknown>;
    expect(hasSameContent(stored, body)).toBe(true);
  });

  it('ignores the versionId and lastUpdated a client sends back', () => {
    const body = { ...stored, meta: { versionId: '1', lastUpdated: '2020-01-01T00:00:00Z' } };
    expect(hasSameContent(stored, body)).toBe(true);
  });

  it('tells decimals apart by their text: 1.5 is not 1.50', () => {
    const body = parseFhirJson('{"resourceType":"Observation","id":"o1","status":"final","valueQuantity":{"value":1.5,"unit":"mmol/L"}}') as Record<string, unknown>;
    expect(hasSameContent(stored, body)).toBe(false);
  });

  it('counts any other meta element, such as a tag, as content', () => {
    const body = { ...stored, meta: { tag: [{ system: 'urn:x', code: 'y' }] } };
    expect(hasSameContent(stored, body)).toBe(false);
  });

  it('counts array order and a changed element', () => {
    const withNames = (names: string[]) => ({ resourceType: 'Patient', id: 'p', name: names.map((family) => ({ family })) });
    expect(hasSameContent(withNames(['A', 'B']), withNames(['B', 'A']))).toBe(false);
    expect(hasSameContent({ ...stored, status: 'amended' }, stored)).toBe(false);
  });
});
