import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { categoryDescriptions, dataCategories, dataCategoryOf, type DataCategory } from '../lambdas/access/categories';
import { breakGlassRoles } from '../lambdas/access/break-glass';
import { dutyConflict } from '../lambdas/access/duties';
import { roleDescriptions, roleMatrix, roles, type AccessKind, type Role } from '../lambdas/access/roles';
import { resourceTypes, type ResourceType } from '../lambdas/fhir/registry/registry';

/**
 * Renders the role matrix declared in lambdas/access/roles.ts for compliance reviewers: what
 * each role may do per data category, then which R4 resource types each category holds (from
 * `dataCategoryOf`, so every one of the registry's types is placed). `npm run docs:roles`
 * writes docs/role-matrix.md; a test fails if it is stale.
 */
export const roleMatrixDoc = path.resolve(__dirname, '..', 'docs', 'role-matrix.md');

const accessKinds: readonly AccessKind[] = ['read', 'write'];

/** `read, write`, `read`, `write` or `—` (no access). */
export function accessCell(role: Role, category: DataCategory): string {
  const granted = accessKinds.filter((kind) => roleMatrix[role][category]?.includes(kind) ?? false);
  return granted.length > 0 ? granted.join(', ') : '—';
}

/** The R4 resource types of each category, in the registry's order. */
export function typesByCategory(): Record<DataCategory, ResourceType[]> {
  const byCategory = Object.fromEntries(dataCategories.map((category) => [category, [] as ResourceType[]])) as Record<DataCategory, ResourceType[]>;
  for (const type of resourceTypes) byCategory[dataCategoryOf(type)].push(type);
  return byCategory;
}

/** Every pair of roles that separation of duties forbids holding together, with the reason. */
export function conflictingPairs(): { pair: [Role, Role]; reason: string }[] {
  return roles.flatMap((first, i) =>
    roles.slice(i + 1).flatMap((second) => {
      const reason = dutyConflict([first, second]);
      return reason ? [{ pair: [first, second] as [Role, Role], reason }] : [];
    }),
  );
}

export function renderRoleMatrix(): string {
  const roleRows = roles.map((role) => `| \`${role}\` | ${dataCategories.map((category) => accessCell(role, category)).join(' | ')} | ${roleDescriptions[role]} |`);
  const byCategory = typesByCategory();
  const categoryRows = dataCategories.map(
    (category) => `| \`${category}\` | ${categoryDescriptions[category]} | ${byCategory[category].length} | ${byCategory[category].join(', ') || '—'} |`,
  );
  return [
    '# Role matrix',
    '',
    'Generated from `lambdas/access/` (`roles.ts`, `categories.ts`, `duties.ts`, `break-glass.ts`) by `npm run docs:roles`; do not edit by hand.',
    '',
    'Access is decided per data category, for all the resource types of that category. A staff member',
    'may read or write a category if any of their Cognito groups allows it. Reading covers read, vread,',
    'history, search and operations; writing covers create, update, patch and delete. Every use and every',
    'refusal is written to the access journal. `GET /metadata` is public and not listed.',
    '',
    'Patient restrictions (LRSSS, recorded as `Consent`) and break-glass narrow and widen this per patient:',
    'see `docs/access-control.md`.',
    '',
    '## Access by role and data category',
    '',
    `| role (Cognito group) | ${dataCategories.map((category) => `\`${category}\``).join(' | ')} | who |`,
    `|---|${dataCategories.map(() => ':-:').join('|')}|---|`,
    ...roleRows,
    '',
    '## Separation of duties',
    '',
    'A token holding any of these pairs of groups is refused everything (403, journaled where a patient is concerned).',
    '',
    '| groups held together | why refused |',
    '|---|---|',
    ...conflictingPairs().map(({ pair, reason }) => `| \`${pair[0]}\` + \`${pair[1]}\` | ${reason.replace(/^Separation of duties: /, '')} |`),
    '',
    '## Break-glass and system clients',
    '',
    `Break-glass (the \`X-Break-Glass-Reason\` header) may override a patient restriction for: ${breakGlassRoles.map((role) => `\`${role}\``).join(', ')}.`,
    'A client-credentials token (a system integration) acts with the `integration` role, limited by its scopes:',
    '`dsc-fhir/fhir.read` for reading, `dsc-fhir/fhir.write` for writing.',
    '',
    `## Resource types by data category (${resourceTypes.length} R4 types)`,
    '',
    'Each type takes the category its official R4 definition gives it, except the few overridden in',
    '`lambdas/access/categories.ts`, each with its reason.',
    '',
    '| category | holds | types | R4 resource types |',
    '|---|---|--:|---|',
    ...categoryRows,
    '',
  ].join('\n');
}

if (require.main === module) {
  writeFileSync(roleMatrixDoc, renderRoleMatrix());
  console.log(`wrote ${path.relative(process.cwd(), roleMatrixDoc)}`);
}
