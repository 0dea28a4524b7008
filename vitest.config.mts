import { defineConfig } from 'vitest/config';

// The pinned AWS SDK supports this machine's Node 20; its notice about future releases is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Handler logs are asserted nowhere; keep test output to warnings and errors.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

/**
 * Powertools' logger writes straight to the process's stdout unless POWERTOOLS_DEV is set; then it uses
 * `console`, which vitest holds back for passing tests. Only for tests that run handlers in-process:
 * e2e tests read the local stack's own output.
 */
const inProcessLogging = { POWERTOOLS_DEV: 'true' };

export default defineConfig({
  test: {
    // Safety nets for slow machines, not speed targets: those live in `npm run bench`.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // A passing test's console output is noise (intentional fault tests log errors); a failing test's is shown in full.
    silent: 'passed-only',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', 'test/e2e/**', 'test/bin/**'],
          env: {
            ...inProcessLogging,
            // Template assertions need no bundles; bundling is the synth project's to check, and CDK announces each one on stderr.
            CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
          },
        },
      },
      {
        // `cdk synth` bundles every function and runs CloudFormation's own checks: slow, so apart.
        extends: true,
        test: { name: 'synth', include: ['test/bin/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/**/*.int.test.ts'], globalSetup: ['test/support/dynamodb-local.setup.ts'], env: inProcessLogging },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false },
      },
    ],
  },
});
