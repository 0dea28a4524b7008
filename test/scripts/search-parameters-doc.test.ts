import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isReadYourWrites, renderSearchParameters, searchParametersDoc } from '../../scripts/search-parameters-doc';

describe('docs/search-parameters.md', () => {
  it('matches the registry (run `npm run docs:search` after regenerating it)', () => {
    expect(readFileSync(searchParametersDoc, 'utf8')).toBe(renderSearchParameters());
  });

  it('marks as read-your-writes exactly _id, identifier and the compartment references', () => {
    expect(isReadYourWrites('Observation', 'patient')).toBe(true);
    expect(isReadYourWrites('Observation', 'subject')).toBe(true);
    expect(isReadYourWrites('Observation', 'code')).toBe(false);
    expect(isReadYourWrites('Observation', 'encounter')).toBe(false);
    expect(isReadYourWrites('Patient', 'identifier')).toBe(true);
    expect(isReadYourWrites('Patient', 'name')).toBe(false);
  });
});
