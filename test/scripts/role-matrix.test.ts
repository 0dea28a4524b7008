import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderRoleMatrix, roleMatrixDoc } from '../../scripts/role-matrix';

describe('docs/role-matrix.md', () => {
  it('matches the role matrix in code (run `npm run docs:roles` after changing it)', () => {
    expect(readFileSync(roleMatrixDoc, 'utf8')).toBe(renderRoleMatrix());
  });

  it('shows the user administrator with no access to patient data', () => {
    const row = renderRoleMatrix().split('\n').find((line) => line.startsWith('| `user-admin`'))!;
    expect(row).not.toContain('yes');
  });
});
