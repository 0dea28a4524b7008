import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  coldStartBudgets,
  coldStartEnvironment,
  contributorsOf,
  deployedFunctions,
  esbuildOptionsFrom,
  heavyModulesIn,
  median,
  moduleOf,
  type FunctionColdStart,
} from '../../bench/cold-start';
import { functionBundling } from '../../lib/constructs/dsc-function';
import { functions, preTokenGeneration } from '../../lambdas/contracts/functions';
import { tables } from '../../lambdas/contracts/tables';

describe('the bench bundles as CDK does', () => {
  it('turns the house bundling options into the esbuild options CDK passes on the command line', () => {
    const options = esbuildOptionsFrom(functionBundling, '/repo/lambdas/handlers/record-read.ts', '/out');
    expect(options).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      outfile: '/out/index.mjs',
      minify: true,
      sourcemap: true,
      mainFields: ['module', 'main'],
      external: [],
      banner: { js: functionBundling.banner },
    });
    expect(options.alias?.['@aws-sdk/credential-provider-node']).toMatch(/lambdas\/platform\/lambda-credentials\.ts$/);
  });

  it('refuses a bundling option it does not translate, so the bench cannot silently measure another bundle', () => {
    expect(() => esbuildOptionsFrom({ ...functionBundling, keepNames: true }, '/e.ts', '/out')).toThrow(/keepNames/);
    expect(() => esbuildOptionsFrom({ format: OutputFormat.ESM, esbuildArgs: { '--drop:console': true } }, '/e.ts', '/out')).toThrow(/--drop:console/);
  });
});

describe('which functions are measured, and with what environment', () => {
  it('measures every API function and the user pool trigger', () => {
    expect(deployedFunctions().map((definition) => definition.id)).toEqual([...Object.values(functions).map((definition) => definition.id), preTokenGeneration.id]);
  });

  it('gives a function its declared table names and settings, so its module-level code runs as on Lambda', () => {
    const environment = coldStartEnvironment(functions.recordRead);
    expect(environment[tables.record.nameEnvVar]).toBeTruthy();
    expect(environment[tables.audit.nameEnvVar]).toBeTruthy();
    expect(environment.AWS_REGION).toBe('ca-central-1');
    expect(environment.NODE_OPTIONS).toBe('--enable-source-maps');
  });
});

describe('what a bundle is made of', () => {
  it('counts a file towards its package, scoped or not, or else towards its folder of ours', () => {
    expect(moduleOf('node_modules/@smithy/core/dist-es/index.js')).toBe('@smithy/core');
    expect(moduleOf('node_modules/fhirpath/src/fhirpath.js')).toBe('fhirpath');
    expect(moduleOf('node_modules/a/node_modules/b/x.js')).toBe('a');
    expect(moduleOf('lambdas/fhir/validation/generated/patient.mjs')).toBe('lambdas/fhir/validation/generated');
  });

  it('sums the minified bytes per module, largest first, and names the validator and FHIRPath when present', () => {
    const metafile = {
      inputs: {},
      outputs: {
        'out/index.mjs': {
          bytes: 600,
          imports: [],
          exports: [],
          inputs: {
            'node_modules/fhirpath/a.js': { bytesInOutput: 100 },
            'node_modules/fhirpath/b.js': { bytesInOutput: 150 },
            'lambdas/fhir/validation/generated/x.mjs': { bytesInOutput: 300 },
            'lambdas/store/keys.ts': { bytesInOutput: 50 },
          },
        },
        'out/index.mjs.map': { bytes: 9999, imports: [], exports: [], inputs: {} },
      },
    } as unknown as Metafile;
    const contributors = contributorsOf(metafile);
    expect(contributors).toEqual([
      { module: 'lambdas/fhir/validation/generated', bytes: 300 },
      { module: 'fhirpath', bytes: 250 },
      { module: 'lambdas/store', bytes: 50 },
    ]);
    expect(heavyModulesIn(contributors)).toEqual(['lambdas/fhir/validation/generated', 'fhirpath']);
    expect(heavyModulesIn([{ module: 'lambdas/fhir/registry/generated', bytes: 1 }])).toEqual([]);
  });
});

describe('figures and budgets', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(median([3, Number.NaN, 1])).toBe(2);
  });

  const row = (id: string, figures: Partial<FunctionColdStart>): FunctionColdStart => ({
    id,
    entry: '',
    bytes: 0,
    initMs: 0,
    overEmptyMs: 0,
    ratioToEmpty: 1,
    heavyModules: [],
    topContributors: [],
    ...figures,
  });

  it('holds the read function to the empty handler + 50 ms, 300 KB and no validator, and the write function to 0.5 s', () => {
    const within = coldStartBudgets([
      row(functions.recordRead.id, { overEmptyMs: 50, bytes: 300 * 1024 }),
      row(functions.recordWrite.id, { initMs: 500 }),
    ]);
    expect(within.every((budget) => budget.met)).toBe(true);
    const over = coldStartBudgets([
      row(functions.recordRead.id, { overEmptyMs: 51, bytes: 300 * 1024 + 1, heavyModules: ['fhirpath'] }),
      row(functions.recordWrite.id, { initMs: 501 }),
    ]);
    expect(over.map((budget) => budget.met)).toEqual([false, false, false, false]);
  });

  it('reports a budget as missed when its function could not be measured', () => {
    expect(coldStartBudgets([]).some((budget) => budget.met)).toBe(false);
  });
});
