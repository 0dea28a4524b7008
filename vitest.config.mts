import { defineConfig } from 'vitest/config';

// The pinned AWS SDK supports this machine's Node 20; its notice about future releases is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Handler logs are asserted nowhere; keep test output to warnings and errors.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

export default defineConfig({
  test: {
    // Safety nets for slow machines, not speed targets: those live in `npm run bench`.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/**/*.int.test.ts', 'test/e2e/**', 'test/bin/**'] },
      },
      {
        // `cdk synth` bundles every function and runs CloudFormation's own checks: slow, so apart.
        extends: true,
        test: { name: 'synth', include: ['test/bin/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/**/*.int.test.ts'], globalSetup: ['test/support/dynamodb-local.setup.ts'] },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false },
      },
    ],
  },
});
