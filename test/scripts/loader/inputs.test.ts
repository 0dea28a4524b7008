import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoadError, readInputs } from '../../../scripts/loader/inputs';

/** What the loader reads from the files and folders it is given. */

const fixtures = path.resolve(__dirname, '..', '..', 'fixtures', 'loader');
const fixture = (...parts: string[]) => path.join(fixtures, ...parts);

describe('readInputs', () => {
  it('reads files in the order given and walks folders recursively, by name', async () => {
    const inputs = await readInputs([fixture('support', 'organizations.json'), fixture('patients'), fixture('ndjson')]);
    expect(inputs.files).toEqual([fixture('support', 'organizations.json'), fixture('patients', 'gagnon.json'), fixture('patients', 'nested', 'roy.json'), fixture('ndjson', 'cote.ndjson')]);
    expect(inputs.items.map((item) => `${path.basename(item.source)} ${item.entry.resourceType}`)).toEqual([
      'organizations.json Organization',
      'organizations.json Practitioner',
      'gagnon.json Patient',
      'gagnon.json Encounter',
      'gagnon.json Observation',
      'roy.json Patient',
      'roy.json Condition',
      'cote.ndjson Patient',
      'cote.ndjson Observation',
      'cote.ndjson Observation',
    ]);
    expect(inputs.refused).toEqual([]);
  });

  it('refuses what a load cannot write with its position: file#entry[i] in a Bundle', async () => {
    const inputs = await readInputs([fixture('bad')]);
    expect(inputs.refused).toEqual([{ position: `${fixture('bad', 'bad-entries.json')}#entry[1]`, reason: expect.stringMatching(/delete entries are not loaded/) as unknown }]);
    expect(inputs.items.map((item) => item.entry.resourceType)).toEqual(['Patient', 'Observation']);
  });

  it('refuses a bad NDJSON line as file:line, and a file that is not a loadable Bundle as a whole', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dsc-loader-'));
    writeFileSync(path.join(dir, 'a.ndjson'), '{"resourceType":"Patient","id":"a"}\n{not json\n');
    writeFileSync(path.join(dir, 'b.json'), '{"resourceType":"Bundle","type":"searchset"}');
    writeFileSync(path.join(dir, 'notes.txt'), 'not read');
    const inputs = await readInputs([dir]);
    expect(inputs.files).toEqual([path.join(dir, 'a.ndjson'), path.join(dir, 'b.json')]);
    expect(inputs.refused.map((refusal) => refusal.position)).toEqual([`${path.join(dir, 'a.ndjson')}:2`, path.join(dir, 'b.json')]);
    expect(inputs.refused[1]?.reason).toMatch(/searchset cannot be loaded/);
  });

  it('loads an entry repeated word for word in two files once, and keeps a repeat that differs (for the chunking to refuse)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dsc-loader-'));
    const org = (name: string) => ({ fullUrl: 'urn:uuid:0e000000-0000-4000-8000-000000000001', resource: { resourceType: 'Organization', name }, request: { method: 'POST', url: 'Organization' } });
    const bundle = (name: string) => JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [org(name)] });
    writeFileSync(path.join(dir, '1.json'), bundle('Same'));
    writeFileSync(path.join(dir, '2.json'), bundle('Same'));
    writeFileSync(path.join(dir, '3.json'), bundle('Other'));
    const inputs = await readInputs([dir]);
    expect(inputs.duplicates).toBe(1);
    expect(inputs.items.map((item) => path.basename(item.source))).toEqual(['1.json', '3.json']);
  });

  it('fails with a one-line LoadError for a path that does not exist', async () => {
    await expect(readInputs([fixture('nothing-here')])).rejects.toThrow(LoadError);
  });
});
