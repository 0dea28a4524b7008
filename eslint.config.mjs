import tseslint from 'typescript-eslint';

/**
 * Lint, in `npm test`: typescript-eslint's strict, type-checked rules on the code that ships or
 * runs the system (lambdas, lib, bin, local, scripts, bench); tests get the recommended
 * type-checked rules, where fixtures legitimately build loosely typed FHIR.
 */
export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', '.local/**', 'lambdas/fhir/validation/generated/**', '**/*.cjs', '**/*.mjs'] },
  {
    files: ['**/*.ts', '**/*.mts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['lambdas/**/*.ts', 'lib/**/*.ts', 'bin/**/*.ts', 'local/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    rules: {
      // Template literals of numbers and booleans are how diagnostics are written here.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
);
