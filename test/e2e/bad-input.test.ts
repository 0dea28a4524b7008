import { beforeAll, describe, expect, it } from 'vitest';
import { allPages, bootLocalStack, expectJson, expectOperationOutcome, versionIds, type StoredResource } from '../support/e2e-stack';

/**
 * Hostile or broken request bodies, over HTTP: each is answered with the right 4xx and an
 * OperationOutcome (never a 500), and nothing is stored. Every body is tried as a create
 * (POST /Patient) and as an update of an existing Patient (PUT /Patient/[id]); afterwards no
 * Patient carries the body's identifier and the existing Patient still has its one version.
 */
const stack = bootLocalStack();
const tracking = 'urn:dsc:e2e:bad-input';
const ramq = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id';
const xhtml = 'http://www.w3.org/1999/xhtml';

let existing: StoredResource;

beforeAll(async () => {
  existing = await expectJson(
    await stack.request('/Patient', { method: 'POST', body: { resourceType: 'Patient', identifier: [{ system: tracking, value: 'existing' }], name: [{ family: 'Intacte' }] } }),
    201,
  );
});

interface BadInput {
  readonly name: string;
  readonly status: number;
  /** The OperationOutcome's issue code. */
  readonly code: string;
  readonly diagnostics: RegExp;
  /** The element the issue names, when there is one. */
  readonly expression?: readonly string[];
  readonly contentType?: string;
  /** A second identifier, after the tracking one. */
  readonly identifier?: { readonly system: string; readonly value: string };
  /** The body's text (or bytes) after `{"resourceType":"Patient","id":…,"identifier":[…]`. */
  readonly rest: string | Uint8Array;
}

const oversizedDiv = `<div xmlns="${xhtml}">${Array.from({ length: 20_000 }, (_, i) => `<p>Note ${String(i).padStart(5, '0')}: ras.</p>`).join('')}</div>`;

const cases: readonly BadInput[] = [
  {
    name: '100 000 nested arrays',
    status: 400,
    code: 'invalid',
    diagnostics: /nesting is deeper than 100 levels/,
    rest: `,"extension":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
  },
  {
    name: 'a resource over 400 KB (a narrative of 20 000 valid paragraphs)',
    status: 413,
    code: 'too-long',
    diagnostics: /400 KB/,
    rest: `,"text":{"status":"generated","div":${JSON.stringify(oversizedDiv)}}}`,
  },
  {
    name: 'invalid UTF-8 (0xC3 0x28)',
    status: 400,
    code: 'invalid',
    diagnostics: /not valid UTF-8/,
    rest: Buffer.concat([Buffer.from(',"name":[{"family":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]),
  },
  {
    name: 'a lone surrogate (\\ud800)',
    status: 400,
    code: 'invalid',
    diagnostics: /unpaired UTF-16 surrogate \(U\+D800\)/,
    expression: ['Patient.name[0].family'],
    rest: ',"name":[{"family":"Tr\\ud800mblay"}]}',
  },
  {
    name: 'a NUL character (\\u0000)',
    status: 400,
    code: 'invalid',
    diagnostics: /U\+0000/,
    expression: ['Patient.name[0].family'],
    rest: ',"name":[{"family":"Tremblay\\u0000"}]}',
  },
  {
    name: 'a narrative with <script>',
    status: 400,
    code: 'invalid',
    diagnostics: /<script>/,
    expression: ['Patient.text.div'],
    rest: `,"text":{"status":"generated","div":"<div xmlns=\\"${xhtml}\\"><p>Bonjour</p><script>alert(1)</script></div>"}}`,
  },
  {
    name: 'a Québec NAM with a birth month of 13 (TREE84131299)',
    status: 400,
    code: 'value',
    diagnostics: /month/,
    expression: ['Patient.identifier[1].value'],
    identifier: { system: ramq, value: 'TREE84131299' },
    rest: ',"name":[{"family":"Tremblay"}]}',
  },
  {
    name: 'malformed JSON (cut short)',
    status: 400,
    code: 'invalid',
    diagnostics: /^Malformed JSON/,
    rest: ',"name":[{"family":"Tronq',
  },
  {
    name: 'a Content-Type other than FHIR JSON (text/plain)',
    status: 415,
    code: 'not-supported',
    diagnostics: /application\/fhir\+json/,
    contentType: 'text/plain',
    rest: ',"name":[{"family":"Texte"}]}',
  },
];

/** The body of a case: a Patient with a tracking identifier (and the URL's id, for an update), then the case's text. */
function bodyOf(input: BadInput, marker: string, id?: string): Uint8Array {
  const identifiers = [{ system: tracking, value: marker }, ...(input.identifier ? [input.identifier] : [])];
  const head = `{"resourceType":"Patient",${id ? `"id":"${id}",` : ''}"identifier":${JSON.stringify(identifiers)}`;
  return Buffer.concat([Buffer.from(head), typeof input.rest === 'string' ? Buffer.from(input.rest) : input.rest]);
}

async function expectRefused(response: Response, input: BadInput) {
  const outcome = await expectOperationOutcome(response, input.status, input.code);
  expect(outcome.issue[0]?.diagnostics).toMatch(input.diagnostics);
  if (input.expression) expect(outcome.issue[0]?.expression).toEqual(input.expression);
}

/** Read-your-writes: a stored Patient with this identifier would be found by the very next request. */
async function patientsWith(marker: string): Promise<number> {
  return (await allPages(stack, `/Patient?identifier=${tracking}|${marker}`)).entries.length;
}

describe('bad request bodies', () => {
  it('the well-formed control body is accepted, so each refusal below is down to its defect', async () => {
    const control = `{"resourceType":"Patient","identifier":[{"system":"${tracking}","value":"control"}],"name":[{"family":"Témoin"}]}`;
    await expectJson(await stack.request('/Patient', { method: 'POST', body: control }), 201);
    expect(await patientsWith('control')).toBe(1);
  });

  describe.each(cases)('$name', (input) => {
    const headers = input.contentType ? { 'Content-Type': input.contentType } : undefined;

    it(`is refused on create with ${input.status}, and no Patient is stored`, async () => {
      const marker = `create-${cases.indexOf(input)}`;
      await expectRefused(await stack.request('/Patient', { method: 'POST', headers, body: bodyOf(input, marker) }), input);
      expect(await patientsWith(marker)).toBe(0);
    });

    it(`is refused on update with ${input.status}, and the Patient keeps its one version`, async () => {
      const marker = `update-${cases.indexOf(input)}`;
      await expectRefused(await stack.request(`/Patient/${existing.id}`, { method: 'PUT', headers, body: bodyOf(input, marker, existing.id) }), input);
      expect(await versionIds(stack, `Patient/${existing.id}`)).toEqual(['1']);
      expect(await stack.read(`Patient/${existing.id}`)).toEqual(existing);
      expect(await patientsWith(marker)).toBe(0);
    });
  });

  it('refuses a PATCH whose Content-Type is not application/json-patch+json with 415, and changes nothing', async () => {
    const patch = JSON.stringify([{ op: 'replace', path: '/name/0/family', value: 'Modifiée' }]);
    for (const contentType of ['application/fhir+json', 'application/merge-patch+json', 'text/plain']) {
      const response = await stack.request(`/Patient/${existing.id}`, { method: 'PATCH', headers: { 'Content-Type': contentType }, body: patch });
      const outcome = await expectOperationOutcome(response, 415, 'not-supported');
      expect(outcome.issue[0]?.diagnostics).toContain('application/json-patch+json');
    }
    expect(await versionIds(stack, `Patient/${existing.id}`)).toEqual(['1']);
    expect(await stack.read(`Patient/${existing.id}`)).toEqual(existing);
  });
});
