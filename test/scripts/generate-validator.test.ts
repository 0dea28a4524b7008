import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declarations, generateModule, inputsHash, outputDir, outputFile } from '../../scripts/generate-validator';

const committed = (file: string) => readFileSync(path.join(outputDir, file), 'utf8');

describe('lambdas/fhir/validation/generated (npm run generate:validator)', () => {
  const code = committed(outputFile);
  const header = (name: string) => new RegExp(`^// ${name}: ([0-9a-f]{64})$`, 'm').exec(code)?.[1];

  it('was generated from the schema, StructureDefinitions, generator and tool versions installed now', () => {
    expect(header('inputs-sha256'), 'stale: run npm run generate:validator').toBe(inputsHash());
  });

  it('has not been edited by hand', () => {
    const body = code.split('\n').slice(4).join('\n');
    expect(header('output-sha256')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(committed(outputFile.replace(/\.js$/, '.d.ts'))).toBe(declarations);
  });

  it('is exactly what the generator writes today', () => {
    expect(generateModule().code === code, 'stale: run npm run generate:validator').toBe(true);
  });

  it('is a standalone ES module: no require(), no regular expression of the official schema', () => {
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).toMatch(/^import\s*\*\s*as\s*\w+\s*from\s*"\.\.\/primitives";/m);
    expect(code).not.toContain('new RegExp');
  });
});
