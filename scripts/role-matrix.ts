import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { roleDescriptions, roleMatrix, roles } from '../lambdas/access/roles';
import { routes } from '../lambdas/contracts/routes';

/**
 * Renders the role matrix declared in lambdas/access/roles.ts as a table for compliance
 * reviewers. `npm run docs:roles` writes docs/role-matrix.md; a test fails if it is stale.
 */
export const roleMatrixDoc = path.resolve(__dirname, '..', 'docs', 'role-matrix.md');

export function renderRoleMatrix(): string {
  const columns = routes.filter((route) => route.resourceType).map((route) => ({ type: route.resourceType!, interaction: route.interaction }));
  const header = `| role (Cognito group) | ${columns.map((c) => `${c.type} ${c.interaction}`).join(' | ')} | who |`;
  const rule = `|---|${columns.map(() => ':-:').join('|')}|---|`;
  const rows = roles.map((role) => {
    const cells = columns.map((c) => ((roleMatrix[role][c.type] as readonly string[] | undefined)?.includes(c.interaction) ? 'yes' : '—'));
    return `| \`${role}\` | ${cells.join(' | ')} | ${roleDescriptions[role]} |`;
  });
  return [
    '# Role matrix',
    '',
    'Generated from `lambdas/access/roles.ts` by `npm run docs:roles`; do not edit by hand.',
    '',
    'A staff member may use an interaction if any of their Cognito groups allows it. Every use and',
    'every refusal is written to the access journal. `GET /metadata` is public and not listed.',
    '',
    header,
    rule,
    ...rows,
    '',
  ].join('\n');
}

if (require.main === module) {
  writeFileSync(roleMatrixDoc, renderRoleMatrix());
  console.log(`wrote ${path.relative(process.cwd(), roleMatrixDoc)}`);
}
