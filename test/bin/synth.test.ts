import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { coldStartEnvironment } from '../../bench/cold-start';
import { functions, type FunctionDefinition } from '../../lambdas/contracts/functions';

const repositoryRoot = path.resolve(__dirname, '..', '..');

/** What the test reads of a synthesized template: the type of each resource, and a function's asset directory (read on functions only). */
interface SynthesizedTemplate {
  readonly Resources: Record<string, { readonly Type: string; readonly Metadata: { readonly 'aws:asset:path': string } }>;
}

/** `npx cdk synth` exactly as DevOps run it: offline, without AWS credentials or Docker. */
function synth(...args: string[]) {
  const out = mkdtempSync(path.join(tmpdir(), 'dsc-synth-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_DEFAULT')));
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', out, ...args], { cwd: repositoryRoot, env, encoding: 'utf8' });
  return { ...result, out };
}

/** Imports a synthesized bundle in a fresh Node process, as Lambda would, and hands it one event. */
function invokeBundle(definition: FunctionDefinition, bundle: string, event: object): { statusCode: number; body: string } {
  const script = `
    const { handler } = await import(${JSON.stringify(bundle)});
    const result = await handler(${JSON.stringify(event)}, { awsRequestId: 'smoke', functionName: 'smoke' });
    process.stdout.write(JSON.stringify(result));`;
  // The environment the API stack gives the function, derived from its contract (placeholder names), as the bench's cold start uses.
  const env = { ...process.env, ...coldStartEnvironment(definition), POWERTOOLS_LOG_LEVEL: 'SILENT' };
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bundle ${bundle} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { statusCode: number; body: string };
}

describe('cdk synth', () => {
  let synthesized: ReturnType<typeof synth>;
  beforeAll(() => {
    synthesized = synth();
  });

  it('synthesizes the four stacks of the default stage offline', () => {
    expect(synthesized.status, synthesized.stderr).toBe(0);
    for (const stack of ['Security', 'Data', 'Auth', 'Api']) expect(existsSync(path.join(synthesized.out, `Dsc-dev-${stack}.template.json`))).toBe(true);
  });

  it('bundles functions that load as ES modules and answer: metadata with 200, record functions with 401 before any AWS call', () => {
    const template = JSON.parse(readFileSync(path.join(synthesized.out, 'Dsc-dev-Api.template.json'), 'utf8')) as SynthesizedTemplate;
    const bundleOf = (id: string) => {
      const [resource] = Object.entries(template.Resources).filter(([logicalId, r]) => logicalId.startsWith(id) && r.Type === 'AWS::Lambda::Function');
      if (!resource) throw new Error(`no function ${id} in the template`);
      return path.join(synthesized.out, resource[1].Metadata['aws:asset:path'], 'index.mjs');
    };
    const request = (method: string, resource: string, pathName: string) => ({
      resource,
      path: pathName,
      httpMethod: method,
      headers: { Host: 'api.example.org', 'Content-Type': 'application/fhir+json' },
      pathParameters: resource.includes('{id}') ? { type: 'Patient', id: 'x' } : resource.includes('{type}') ? { type: 'Patient' } : null,
      body: method === 'POST' ? '{"resourceType":"Patient"}' : null,
      requestContext: { path: `/r4${pathName}`, requestId: 'smoke', identity: {} },
    });

    const metadata = invokeBundle(functions.metadata, bundleOf(functions.metadata.id), request('GET', '/metadata', '/metadata'));
    expect(metadata.statusCode).toBe(200);
    expect((JSON.parse(metadata.body) as fhir4.FhirResource).resourceType).toBe('CapabilityStatement');
    for (const [definition, method, resource, pathName] of [
      [functions.recordRead, 'GET', '/{type}/{id}', '/Patient/x'],
      [functions.recordWrite, 'POST', '/{type}', '/Patient'],
    ] as const) {
      const result = invokeBundle(definition, bundleOf(definition.id), request(method, resource, pathName));
      expect(result.statusCode, definition.id).toBe(401);
      expect((JSON.parse(result.body) as fhir4.FhirResource).resourceType).toBe('OperationOutcome');
    }
  });

  it('fails with a clear message for an unknown stage', () => {
    const result = synth('-c', 'stage=staging');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Unknown stage "staging": known stages are dev, prod');
  });

  it("refuses, in one line naming both, credentials for another account than the stage's", () => {
    // The app alone, given the context the CLI would pass: it fails before any stack (or bundling).
    const context = { stage: 'pinned', stages: { pinned: { account: '222222222222', authDomainPrefix: 'dsc-pinned', oauthCallbackUrls: ['https://app.example.org/cb'] } } };
    const env = { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_DEFAULT_ACCOUNT: '333333333333', CDK_OUTDIR: mkdtempSync(path.join(tmpdir(), 'dsc-app-')) };
    const result = spawnSync('npx', ['tsx', 'bin/dsc.ts'], { cwd: repositoryRoot, env, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^Stage "pinned" is pinned to account 222222222222 but the CLI credentials are for account 333333333333[^\n]*$/);
  });
});
