import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataCategories } from '../../lambdas/access/categories';
import { roles } from '../../lambdas/access/roles';
import { resourceTypes } from '../../lambdas/fhir/registry/registry';
import { accessCell, conflictingPairs, renderRoleMatrix, roleMatrixDoc, typesByCategory } from '../../scripts/role-matrix';

/** The rendered role table, as cells by role and category header. */
function roleTable(): Map<string, Map<string, string>> {
  const lines = renderRoleMatrix().split('\n');
  const start = lines.findIndex((line) => line.startsWith('| role (Cognito group) |'));
  const cells = (line: string) => line.split('|').slice(1, -1).map((cell) => cell.trim());
  const header = cells(lines[start]!);
  const table = new Map<string, Map<string, string>>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const row = cells(line);
    table.set(row[0]!.replace(/`/g, ''), new Map(header.map((name, i) => [name.replace(/`/g, ''), row[i]!])));
  }
  return table;
}

/** The rendered category table: the types listed per category. */
function categoryTable(): Map<string, string[]> {
  const lines = renderRoleMatrix().split('\n');
  const start = lines.findIndex((line) => line.startsWith('| category |'));
  const table = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [category = '', , , types = ''] = line.split('|').slice(1, -1).map((cell) => cell.trim());
    table.set(category.replace(/`/g, ''), types === '—' ? [] : types.split(', '));
  }
  return table;
}

describe('docs/role-matrix.md', () => {
  it('matches the role matrix in code (run `npm run docs:roles` after changing it)', () => {
    expect(readFileSync(roleMatrixDoc, 'utf8')).toBe(renderRoleMatrix());
  });

  it('has a row per role and a column per data category', () => {
    const table = roleTable();
    expect([...table.keys()]).toEqual([...roles]);
    for (const row of table.values()) expect([...row.keys()]).toEqual(['role (Cognito group)', ...dataCategories, 'who']);
  });

  it('shows the user administrator with no access at all', () => {
    const row = roleTable().get('user-admin')!;
    for (const category of dataCategories) expect(row.get(category), category).toBe('—');
  });

  it('shows neither the privacy officer nor the user administrator with clinical access', () => {
    for (const role of ['privacy-officer', 'user-admin']) {
      expect(roleTable().get(role)?.get('clinical'), role).toBe('—');
    }
  });

  it('shows the clerk with no clinical access, but writing demographics and scheduling', () => {
    const clerk = roleTable().get('clerk')!;
    expect(clerk.get('clinical')).toBe('—');
    expect(clerk.get('demographics')).toBe('read, write');
    expect(clerk.get('scheduling')).toBe('read, write');
  });

  it('renders each cell from the matrix', () => {
    expect(accessCell('physician', 'clinical')).toBe('read, write');
    expect(accessCell('allied-health', 'clinical')).toBe('read');
    expect(accessCell('integration', 'journal')).toBe('—');
  });
});

describe('the separation of duties table', () => {
  it('forbids user-admin with every role that reads patient data, and privacy-officer with every clinical writer', () => {
    const pairs = conflictingPairs().map(({ pair }) => [...pair].sort().join(' + '));
    for (const role of roles.filter((candidate) => candidate !== 'user-admin')) expect(pairs, role).toContain([role, 'user-admin'].sort().join(' + '));
    for (const role of ['physician', 'nurse', 'integration']) expect(pairs, role).toContain([role, 'privacy-officer'].sort().join(' + '));
    expect(pairs).not.toContain(['clerk', 'privacy-officer'].sort().join(' + '));
    expect(pairs).not.toContain(['allied-health', 'privacy-officer'].sort().join(' + '));
  });
});

describe('the resource types by data category', () => {
  it('places every one of the 145 R4 types in exactly one category', () => {
    expect(resourceTypes).toHaveLength(145);
    const listed = [...categoryTable().values()].flat();
    expect(listed).toHaveLength(145);
    expect(new Set(listed)).toEqual(new Set(resourceTypes));
  });

  it('lists the categories in the order of the role table, with the types that dataCategoryOf gives them', () => {
    const table = categoryTable();
    expect([...table.keys()]).toEqual([...dataCategories]);
    const byCategory = typesByCategory();
    for (const category of dataCategories) expect(table.get(category), category).toEqual(byCategory[category]);
  });

  it('shows where the key types fall, overrides included', () => {
    const table = categoryTable();
    expect(table.get('demographics')).toEqual(expect.arrayContaining(['Patient', 'Practitioner', 'Organization', 'Location']));
    expect(table.get('scheduling')).toEqual(expect.arrayContaining(['Appointment', 'Encounter', 'EpisodeOfCare']));
    expect(table.get('clinical')).toEqual(expect.arrayContaining(['Observation', 'Condition', 'Flag', 'List', 'Task', 'Binary', 'MeasureReport']));
    expect(table.get('consent')).toEqual(expect.arrayContaining(['Consent', 'Provenance']));
    expect(table.get('journal')).toEqual(['AuditEvent']);
  });
});
