import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isSearchable, isStorable } from '../lambdas/fhir/capabilities';
import { compartmentSearchParams, resourceTypes, searchParametersOf, type ResourceType } from '../lambdas/fhir/registry/registry';

/**
 * Renders, for reviewers and client developers, every search parameter the API answers, per
 * type, with its type and its consistency: `npm run docs:search` writes
 * docs/search-parameters.md; a test fails if it is stale.
 */
export const searchParametersDoc = path.resolve(__dirname, '..', 'docs', 'search-parameters.md');

/** The types the record issue names first-class; every other type is served the same way. */
export const firstClassTypes: readonly ResourceType[] = [
  'Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'Encounter', 'EpisodeOfCare', 'Observation', 'Condition',
  'AllergyIntolerance', 'MedicationRequest', 'MedicationStatement', 'MedicationAdministration', 'Immunization', 'Procedure',
  'DiagnosticReport', 'DocumentReference', 'CarePlan', 'CareTeam', 'Goal', 'ServiceRequest', 'Consent', 'Provenance', 'Device',
];

export function isReadYourWrites(type: ResourceType, code: string): boolean {
  return code === '_id' || code === 'identifier' || compartmentSearchParams(type).includes(code);
}

function row(type: ResourceType): string {
  const params = searchParametersOf(type).filter(isSearchable);
  const shown = params.map((param) => `\`${param.code}\` (${param.type}${isReadYourWrites(type, param.code) ? ', **RYW**' : ''})`);
  return `| ${type} | ${params.length} | ${shown.join(', ')} |`;
}

export function renderSearchParameters(): string {
  const others = resourceTypes.filter((type) => isStorable(type) && !firstClassTypes.includes(type));
  return [
    '# Search parameters',
    '',
    'Generated from the R4 registry by `npm run docs:search`; do not edit by hand.',
    '',
    'Every official R4 search parameter of every stored type is answered, except composite and',
    'special parameters and `_text`, `_content`, `_query` (see [search.md](search.md)). **RYW** marks',
    'the read-your-writes parameters: a resource is found by them in the very next request after its',
    'write returns (`identifier` needs `system|value`; references need `Patient/<id>` values). All',
    'others are eventually consistent: indexed from the change stream, usually within a second',
    '([performance.md](performance.md) has the measured lag).',
    '',
    '## The first-class types',
    '',
    '| type | parameters | parameters (type, consistency) |',
    '|---|--:|---|',
    ...firstClassTypes.map(row),
    '',
    `## The other ${others.length} types`,
    '',
    '| type | parameters | parameters (type, consistency) |',
    '|---|--:|---|',
    ...others.map(row),
    '',
  ].join('\n');
}

if (require.main === module) {
  writeFileSync(searchParametersDoc, renderSearchParameters());
  console.log(`wrote ${path.relative(process.cwd(), searchParametersDoc)}`);
}
