import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toPlainJson } from '../../lambdas/fhir/json';
import { isResourceType } from '../../lambdas/fhir/registry/registry';
import { compartmentsOf } from '../../lambdas/record/index-facts';
import { extractSearchValues } from '../../lambdas/search/extract-search-values';
import { readInputs } from '../../scripts/loader/inputs';
import { scheduleLoad } from '../../scripts/loader/plan';
import { allPages, bootLocalStack, eventually, expectJson, referencesOf, versionIds, type Bundle } from '../support/e2e-stack';
import { hasSharedData, sharedDataDir } from '../support/shared-data';

/**
 * `npm run load` as its users run it: a child process against a local stack (found through
 * `$DSC_LOCAL_DIR/stack.json`, signed in as the integration account), then checked through the API.
 */

const repositoryRoot = path.resolve(__dirname, '..', '..');
const fixtures = path.join(repositoryRoot, 'test', 'fixtures', 'loader');
const mrn = 'urn:dsc:test:loader:mrn';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawns the loader; `onStderr` sees its progress as it comes, and may kill it. */
function load(localDir: string, args: string[], onStderr?: (text: string, kill: () => void) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/load.ts', ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, DSC_LOCAL_DIR: localDir, DSC_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr?.(stderr, () => child.kill('SIGKILL'));
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run load against the local stack', () => {
  const stack = bootLocalStack();
  let localDir = '';

  beforeAll(() => {
    localDir = mkdtempSync(path.join(tmpdir(), 'dsc-loader-e2e-'));
    writeFileSync(path.join(localDir, 'stack.json'), JSON.stringify(stack.info));
  });

  async function search(query: string): Promise<Bundle> {
    return expectJson<Bundle>(await stack.request(`/${query}`), 200);
  }

  async function onlyMatch(query: string) {
    const bundle = await eventually(async () => {
      const found = await search(query);
      expect(found.entry ?? []).toHaveLength(1);
      return found;
    });
    return bundle.entry![0]!.resource!;
  }

  /** `Type/id/_history/n` of what each patient's `$everything` holds (read-your-writes: the compartment index is written with the data). */
  async function recordsOf(patients: readonly string[]): Promise<Map<string, string[]>> {
    const records = new Map<string, string[]>();
    for (const patient of patients) {
      const response = await stack.request(`/${patient}/$everything?_count=100`);
      if (response.status === 404) {
        await response.body?.cancel();
        records.set(patient, []);
        continue;
      }
      const { entries } = await allPages(stack, `/${patient}/$everything?_count=100`);
      records.set(patient, entries.map(({ resource }) => `${resource?.resourceType}/${resource?.id}/_history/${resource?.meta.versionId}`).sort());
    }
    return records;
  }

  const fixturePaths = [path.join(fixtures, 'support'), path.join(fixtures, 'patients'), path.join(fixtures, 'ndjson')];

  it('loads support bundles first, then patient bundles whose conditional references resolve to them, nested folders and NDJSON (exit 0)', async () => {
    const run = await load(localDir, fixturePaths);
    expect(run.stderr).toMatch(/^load: /m);
    expect(run.stdout).toMatch(/^loaded 10, already present 0, refused 0 \(4 files, 10 entries/m);
    expect(run.code).toBe(0);

    const organization = await onlyMatch('Organization?identifier=urn:dsc:test:loader:org|ORG-1');
    const practitioner = await onlyMatch('Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9990001');
    const gagnon = await onlyMatch(`Patient?identifier=${mrn}|LOAD-0001`);
    expect(gagnon.managingOrganization).toEqual({ reference: `Organization/${organization.id}` });
    const roy = await onlyMatch(`Patient?identifier=${mrn}|LOAD-0002`);
    expect(roy.generalPractitioner).toEqual([{ reference: `Practitioner/${practitioner.id}` }]);

    const record = await allPages(stack, `/Patient/${gagnon.id}/$everything`);
    const encounter = record.entries.find((entry) => entry.resource?.resourceType === 'Encounter')?.resource;
    expect(encounter?.participant).toEqual([{ individual: { reference: `Practitioner/${practitioner.id}` } }]);
    expect(referencesOf(record.entries).map((reference) => reference.split('/')[0])).toEqual(['Encounter', 'Observation', 'Patient']);

    // NDJSON: the lines' `Patient/nd-1` references follow the patient to its loaded id; decimals stay as written.
    const cote = await onlyMatch(`Patient?identifier=${mrn}|LOAD-0003`);
    const observations = await stack.request(`/Patient/${cote.id}/Observation`);
    const text = await observations.text();
    expect((JSON.parse(text) as Bundle).entry).toHaveLength(2);
    expect(text).toContain('"value":121.0');
  });

  it('creates nothing on a second run: everything is already present, each resource still at version 1', async () => {
    const run = await load(localDir, fixturePaths);
    expect(run.stdout).toMatch(/^loaded 0, already present 10, refused 0 /m);
    expect(run.code).toBe(0);
    const plain = (await expectedLoad(fixturePaths)).written;
    const conditional = [
      await onlyMatch('Organization?identifier=urn:dsc:test:loader:org|ORG-1'),
      await onlyMatch('Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9990001'),
    ].map((resource) => `${resource.resourceType}/${resource.id}`);
    expect(plain.length + conditional.length).toBe(10);
    for (const reference of [...plain, ...conditional]) expect(await versionIds(stack, reference), reference).toEqual(['1']);
  });

  it('refuses bad entries with their position and reason, writes nothing of their transaction, and exits 1', async () => {
    const file = path.join(fixtures, 'bad', 'bad-entries.json');
    const run = await load(localDir, [file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^loaded 0, already present 0, refused 3 /m);
    expect(run.stdout).toContain(`refused ${file}#entry[1]: delete entries are not loaded`);
    expect(run.stdout).toContain(`refused ${file}#entry[2]: 400: Not a code R4 allows here`);
    expect(run.stdout).toContain(`refused ${file}#entry[0]: not loaded: in one transaction with ${file}#entry[2], which was refused`);
  });

  it('says in one line that no stack runs, and exits 2', async () => {
    const run = await load(mkdtempSync(path.join(tmpdir(), 'dsc-no-stack-')), [fixtures]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/^load: no local stack: .*stack\.json does not exist; run npm start, or give --url and a token$/);
  });

  it('takes --url and --token for a remote API, and refuses --url without a token (exit 2)', async () => {
    const without = await load(localDir, ['--url', stack.info.apiUrl, fixtures]);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/needs a token/);
    const token = await stack.token('integration@dsc.local');
    const run = await load(mkdtempSync(path.join(tmpdir(), 'dsc-no-stack-')), ['--url', stack.info.apiUrl, '--token', token, path.join(fixtures, 'support')]);
    expect(run.stdout).toMatch(/^loaded 0, already present 2, refused 0 /m);
    expect(run.code).toBe(0);
  });

  it('completes a load killed (kill -9) after its first transactions, with no duplicate and nothing missing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dsc-resume-'));
    const patients = 3;
    const observations = 200;
    for (let p = 0; p < patients; p++) writeSyntheticRecord(dir, p, observations);
    const { compartments } = await expectedLoad([dir]);
    expect([...compartments.values()].map((record) => record.length)).toEqual(Array.from({ length: patients }, () => observations + 1));

    const killed = await load(localDir, ['--concurrency', '1', dir], (text, kill) => {
      if (/^load: /m.test(text)) kill();
    });
    expect(killed.code).toBeNull(); // killed by the signal
    const partial = [...(await recordsOf([...compartments.keys()])).values()].flat();
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(patients * (observations + 1));

    const resumed = await load(localDir, [dir]);
    expect(resumed.code).toBe(0);
    const [, loaded, present] = /^loaded (\d+), already present (\d+), refused 0 /m.exec(resumed.stdout) ?? [];
    // A transaction in flight when the loader died may still have committed after `partial` was read.
    expect(Number(present)).toBeGreaterThanOrEqual(partial.length);
    expect(Number(loaded) + Number(present)).toBe(patients * (observations + 1));
    expect(Number(loaded)).toBeGreaterThan(0);
    // Each patient's record is exactly the expected resources, each in one version: nothing missing, nothing twice.
    const records = await recordsOf([...compartments.keys()]);
    for (const [patient, expected] of compartments) expect(records.get(patient), patient).toEqual(expected.map((reference) => `${reference}/_history/1`).sort());
    for (let p = 0; p < patients; p++) await onlyMatch(`Patient?identifier=${mrn}|RESUME-${p}`);
  }, 240_000);

  describe.skipIf(!hasSharedData)('the five Synthea bundles (../shared/data/synthea)', () => {
    it('load through the loader, and each patient’s $everything holds exactly that patient’s compartment in the bundles', async () => {
      const dir = path.join(sharedDataDir, 'synthea');
      const run = await load(localDir, [dir]);
      expect(run.stdout).toMatch(/refused 0 /);
      expect(run.code).toBe(0);
      const { compartments } = await expectedLoad([dir]);
      expect(compartments.size).toBe(5);
      for (const [patient, expected] of compartments) {
        const { entries } = await allPages(stack, `/${patient}/$everything?_count=100`);
        expect(referencesOf(entries), patient).toEqual(expected.sort());
      }
    }, 600_000);
  });
});

/**
 * What a load must write, from the very resources the loader plans to send (ids derived from the
 * source): `Type/id` of every resource written by id, and each patient's compartment by the
 * registry's CompartmentDefinition.
 */
async function expectedLoad(paths: string[]): Promise<{ written: string[]; compartments: Map<string, string[]> }> {
  const { items } = await readInputs(paths);
  const entries = scheduleLoad(items).chunks.flatMap((chunk) => chunk.entries);
  const written = entries.filter(({ request }) => request.method === 'PUT' && !request.url.includes('?')).map(({ request }) => request.url);
  const compartments = new Map<string, string[]>();
  for (const { resource } of entries) {
    const type = String(resource.resourceType);
    if (!isResourceType(type) || typeof resource.id !== 'string') continue;
    for (const patient of compartmentsOf(type, resource.id, extractSearchValues(toPlainJson(resource) as Record<string, unknown>))) {
      compartments.set(patient, [...(compartments.get(patient) ?? []), `${type}/${resource.id}`]);
    }
  }
  return { written, compartments };
}

/** One patient and `observations` Observations referring to it by urn:uuid, as a transaction Bundle. */
function writeSyntheticRecord(dir: string, patient: number, observations: number): void {
  const urn = (n: number) => `urn:uuid:1${String(patient).padStart(7, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const entry = [
    {
      fullUrl: urn(0),
      resource: { resourceType: 'Patient', identifier: [{ system: mrn, value: `RESUME-${patient}` }], name: [{ family: `Reprise${patient}` }] },
      request: { method: 'POST', url: 'Patient' },
    },
    ...Array.from({ length: observations }, (_, n) => ({
      fullUrl: urn(n + 1),
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: urn(0) },
        effectiveDateTime: `2026-01-01T00:${String(n % 60).padStart(2, '0')}:00Z`,
        valueQuantity: { value: 60 + (n % 40), unit: '/min' },
      },
      request: { method: 'POST', url: 'Observation' },
    })),
  ];
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `record-${patient}.json`), JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }));
}
