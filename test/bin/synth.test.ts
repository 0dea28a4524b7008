import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const repositoryRoot = path.resolve(__dirname, '..', '..');

/** `npx cdk synth` exactly as DevOps run it: offline, without AWS credentials or Docker. */
function synth(...args: string[]) {
  const out = mkdtempSync(path.join(tmpdir(), 'dsc-synth-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_DEFAULT')));
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', out, ...args], { cwd: repositoryRoot, env, encoding: 'utf8' });
  return { ...result, out };
}

describe('cdk synth', () => {
  it('synthesizes the four stacks of the default stage offline', () => {
    const result = synth();
    expect(result.status, result.stderr).toBe(0);
    for (const stack of ['Security', 'Data', 'Auth', 'Api']) expect(existsSync(path.join(result.out, `Dsc-dev-${stack}.template.json`))).toBe(true);
  });

  it('fails with a clear message for an unknown stage', () => {
    const result = synth('-c', 'stage=staging');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Unknown stage "staging": known stages are dev, prod');
  });
});
