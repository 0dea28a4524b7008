import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbAccessJournal } from '../../../lambdas/audit/dynamodb-access-journal';
import { Forbidden, Gone, Invalid, NotFound } from '../../../lambdas/fhir/errors';
import { validateResource } from '../../../lambdas/fhir/validation';
import type { ResourceType } from '../../../lambdas/fhir/registry/registry';
import { subsetted } from '../../../lambdas/handlers/responses';
import { AccessRecorder } from '../../../lambdas/record/access-recorder';
import { writeServices } from '../../../lambdas/record/compose-write';
import type { RequestContext } from '../../../lambdas/record/request-context';
import { SearchService, type SearchResult } from '../../../lambdas/search/search-service';
import { encodeCursor } from '../../../lambdas/store/cursor';
import type { VersionRecord } from '../../../lambdas/store/record-store';
import { localCredentials } from '../../../local/dynamodb';
import { freshTables } from '../../support/dynamodb';
import { indexWrites } from '../../support/indexing';
import { contextFor, requestFor, requestIdOf } from '../../support/principals';
import { rejection } from '../../support/rejection';
import { auditEventOfItem } from '../../../lambdas/audit/access-journal';

/**
 * Search and `$everything` against DynamoDB Local: every parameter type, modifiers and prefixes,
 * chains, includes, sorting, paging past 100 results, totals, the read-your-writes lookups that
 * need no index, the journal each search leaves, and the cost of a page in DynamoDB calls.
 */

const mrn = 'urn:dsc:test:mrn';
const loinc = 'http://loinc.org';
const ucum = 'http://unitsofmeasure.org';
const writerCtx = contextFor('integration');
const physician = contextFor('physician');

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Every DynamoDB command this file sends, whichever tables it goes to.

interface Call {
  readonly command: string;
  readonly tables: readonly string[];
}
const everyCall: Call[] = [];

function tablesOf(input: Json): string[] {
  if (typeof input.TableName === 'string') return [input.TableName];
  if (input.RequestItems && typeof input.RequestItems === 'object') return Object.keys(input.RequestItems);
  if (Array.isArray(input.TransactItems)) return input.TransactItems.flatMap((item: Json) => Object.values(item).map((action) => (action as Json).TableName as string));
  return [];
}

function meter(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      everyCall.push({ command: context.commandName ?? 'unknown', tables: tablesOf(args.input as Json) });
      return next(args);
    },
    { step: 'initialize', name: 'meterCommands', override: true },
  );
}

async function callsDuring(action: () => Promise<unknown>): Promise<Call[]> {
  const start = everyCall.length;
  await action();
  return everyCall.slice(start);
}

afterAll(() => {
  // The meter saw this file's traffic (so the check below means something), and none of it was a Scan.
  expect(everyCall.filter((call) => call.command === 'QueryCommand').length).toBeGreaterThan(0);
  expect(everyCall.filter((call) => call.command === 'ScanCommand')).toEqual([]);
});

// ---------------------------------------------------------------------------------------------

async function searchTables() {
  const env = await freshTables();
  meter(env.client);
  let clock = Date.parse('2026-05-01T00:00:00.000Z');
  const services = writeServices(env.documentClient, env.names, validateResource, { now: () => new Date((clock += 1000)) });
  const create = async (body: Json): Promise<VersionRecord> => (await services.writer.create(writerCtx, body.resourceType as ResourceType, () => body)).version;
  const journalOf = async (subject: string, requestId: string): Promise<Json[]> => {
    const result = await env.documentClient.send(
      new QueryCommand({ TableName: env.names.audit, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': subject }, ConsistentRead: true }),
    );
    return (result.Items ?? []).map((item) => auditEventOfItem(item) as unknown as Json).filter((event) => requestIdOf(event) === requestId);
  };
  return { env, ...services, create, journalOf };
}
type Tables = Awaited<ReturnType<typeof searchTables>>;

const paramsOf = (query: string): [string, string][] => [...new URLSearchParams(query)];

function search(t: Tables, type: ResourceType, query: string, options: { ctx?: RequestContext; lenient?: boolean; patient?: string } = {}): Promise<SearchResult> {
  return t.search.search(options.ctx ?? physician, type, paramsOf(query), { lenient: options.lenient ?? false, query }, options.patient);
}

async function idsOf(t: Tables, type: ResourceType, query: string, options: { ctx?: RequestContext; lenient?: boolean } = {}): Promise<string[]> {
  return (await search(t, type, query, options)).matches.map((match) => match.id);
}

function everything(t: Tables, patientId: string, query = '', ctx: RequestContext = physician): Promise<SearchResult> {
  return t.search.everything(ctx, patientId, paramsOf(query), { lenient: false, query });
}

/** Every page of a search or `$everything`, following the next cursor. */
async function allPages(next: (cursor?: string) => Promise<SearchResult>): Promise<{ references: string[]; pages: number }> {
  const references: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await next(cursor);
    references.push(...page.matches.map((match) => `${match.resourceType}/${match.id}`));
    cursor = page.next;
    pages++;
  } while (cursor && pages < 100);
  return { references, pages };
}

function withCursor(query: string, cursor: string | undefined): string {
  return cursor ? `${query}&_cursor=${encodeURIComponent(cursor)}` : query;
}


const sorted = (values: readonly string[]) => [...values].sort();

/** Creates resources ten at a time. */
async function createAll(t: Tables, bodies: readonly Json[]): Promise<VersionRecord[]> {
  const created: VersionRecord[] = [];
  for (let start = 0; start < bodies.length; start += 10) created.push(...(await Promise.all(bodies.slice(start, start + 10).map(t.create))));
  return created;
}

function observation(patientId: string, extra: Json): Json {
  return { resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${patientId}` }, ...extra };
}

// ---------------------------------------------------------------------------------------------

describe('read-your-writes: found at once after the write, with no indexing step', () => {
  let t: Tables;
  let patient: VersionRecord;
  let obs: VersionRecord;
  let condition: VersionRecord;

  beforeAll(async () => {
    t = await searchTables();
    patient = await t.create({ resourceType: 'Patient', identifier: [{ system: mrn, value: 'RYW-1' }], name: [{ family: 'Pelletier' }] });
    obs = await t.create(observation(patient.id, { identifier: [{ system: mrn, value: 'RYW-OBS-1' }], code: { coding: [{ system: loinc, code: '8867-4' }] } }));
    condition = await t.create({ resourceType: 'Condition', subject: { reference: `Patient/${patient.id}` }, code: { text: 'asthma' } });
  });

  it('by identifier=system|value', async () => {
    expect(await idsOf(t, 'Patient', `identifier=${mrn}|RYW-1`)).toEqual([patient.id]);
    expect(await idsOf(t, 'Observation', `identifier=${mrn}|RYW-OBS-1`)).toEqual([obs.id]);
  });

  it('by subject=Patient/x', async () => {
    expect(await idsOf(t, 'Observation', `subject=Patient/${patient.id}`)).toEqual([obs.id]);
  });

  it('by patient=Patient/x on a type whose compartment is defined by patient (Condition)', async () => {
    expect(await idsOf(t, 'Condition', `patient=Patient/${patient.id}`)).toEqual([condition.id]);
  });

  it('by patient=Patient/x on Observation', async () => {
    expect(await idsOf(t, 'Observation', `patient=Patient/${patient.id}`)).toEqual([obs.id]);
  });

  it('by _id', async () => {
    expect(await idsOf(t, 'Observation', `_id=${obs.id}`)).toEqual([obs.id]);
    expect(sorted(await idsOf(t, 'Patient', `_id=${patient.id},no-such-patient`))).toEqual([patient.id]);
  });

  it('in the compartment search Patient/x/Observation', async () => {
    expect((await search(t, 'Observation', '', { patient: patient.id })).matches.map((match) => match.id)).toEqual([obs.id]);
  });

  it('in $everything', async () => {
    expect(sorted((await everything(t, patient.id)).matches.map((match) => `${match.resourceType}/${match.id}`))).toEqual(
      sorted([`Patient/${patient.id}`, `Observation/${obs.id}`, `Condition/${condition.id}`]),
    );
  });

  it('while a search on an indexed parameter waits for the index processor', async () => {
    expect(await idsOf(t, 'Observation', 'code=8867-4')).toEqual([]);
    await indexWrites(t.env, [obs]);
    expect(await idsOf(t, 'Observation', 'code=8867-4')).toEqual([obs.id]);
  });

  it('no longer finds a deleted resource by identifier or in the compartment', async () => {
    const gone = await t.create(observation(patient.id, { identifier: [{ system: mrn, value: 'RYW-GONE' }], code: { text: 'x' } }));
    await t.writer.delete(writerCtx, 'Observation', gone.id);
    expect(await idsOf(t, 'Observation', `identifier=${mrn}|RYW-GONE`)).toEqual([]);
    expect(await idsOf(t, 'Observation', `subject=Patient/${patient.id}`)).not.toContain(gone.id);
  });
});

describe('search once indexed', () => {
  let t: Tables;
  const d = {} as Record<'helene' | 'marc' | 'louis' | 'prac' | 'enc' | 'glucose' | 'hbMarc' | 'local' | 'hbHelene' | 'both' | 'prov' | 'blood' | 'urine' | 'other', VersionRecord>;

  beforeAll(async () => {
    t = await searchTables();
    d.helene = await t.create({ resourceType: 'Patient', identifier: [{ system: mrn, value: 'H-1' }], name: [{ family: 'Côté', given: ['Hélène'] }], gender: 'female', birthDate: '1980-05-12' });
    d.marc = await t.create({ resourceType: 'Patient', identifier: [{ system: mrn, value: 'M-1' }], name: [{ family: 'Tremblay', given: ['Marc'] }], gender: 'male', birthDate: '1975-01-30' });
    d.louis = await t.create({ resourceType: 'Patient', identifier: [{ system: mrn, value: 'L-1' }], name: [{ family: 'Gagnon', given: ['Louis'] }], gender: 'male', birthDate: '1990-11-02' });
    d.prac = await t.create({ resourceType: 'Practitioner', name: [{ family: 'Bouchard', given: ['Anne'] }] });
    d.enc = await t.create({ resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: `Patient/${d.helene.id}` } });
    d.glucose = await t.create(
      observation(d.helene.id, {
        code: { coding: [{ system: loinc, code: '2339-0' }] },
        effectiveDateTime: '2024-03-10T10:00:00Z',
        valueQuantity: { value: 5.4, unit: 'mmol/L', system: ucum, code: 'mmol/L' },
        encounter: { reference: `Encounter/${d.enc.id}` },
        performer: [{ reference: `Practitioner/${d.prac.id}` }],
      }),
    );
    d.hbMarc = await t.create(observation(d.marc.id, { code: { coding: [{ system: loinc, code: '718-7' }] }, effectiveDateTime: '2024-06-01', valueQuantity: { value: 140, unit: 'g/L', system: ucum, code: 'g/L' } }));
    d.local = await t.create(observation(d.louis.id, { code: { coding: [{ code: 'local-1' }] }, effectiveDateTime: '2023-01-15', valueQuantity: { value: 7 } }));
    d.hbHelene = await t.create(observation(d.helene.id, { code: { coding: [{ system: loinc, code: '718-7' }] }, effectiveDateTime: '2025-01-01T00:00:00Z', valueQuantity: { value: 120, unit: 'g/L', system: ucum, code: 'g/L' } }));
    d.both = await t.create(observation(d.louis.id, { code: { coding: [{ system: loinc, code: '2339-0' }, { system: loinc, code: '718-7' }] }, effectiveDateTime: '2024-09-09' }));
    d.prov = await t.create({ resourceType: 'Provenance', target: [{ reference: `Observation/${d.glucose.id}` }], recorded: '2024-03-10T11:00:00Z', agent: [{ who: { reference: `Practitioner/${d.prac.id}` } }] });
    d.blood = await t.create({ resourceType: 'ValueSet', url: 'http://example.org/fhir/ValueSet/blood', status: 'active' });
    d.urine = await t.create({ resourceType: 'ValueSet', url: 'http://example.org/fhir/ValueSet/urine', status: 'active' });
    d.other = await t.create({ resourceType: 'ValueSet', url: 'http://other.org/ValueSet/x', status: 'active' });
    await indexWrites(t.env, Object.values(d));
  });

  const ids = (type: ResourceType, query: string, options: { ctx?: RequestContext; lenient?: boolean } = {}) => idsOf(t, type, query, options);
  const idOf = (...keys: (keyof typeof d)[]) => sorted(keys.map((key) => d[key].id));

  describe('string parameters', () => {
    it('match accent- and case-insensitively from the start: name=helene and name=HÉLÈ find Hélène', async () => {
      expect(await ids('Patient', 'name=helene')).toEqual([d.helene.id]);
      expect(await ids('Patient', 'name=HÉLÈ')).toEqual([d.helene.id]);
      expect(await ids('Patient', 'family=cote')).toEqual([d.helene.id]);
      expect(await ids('Patient', 'name=elene')).toEqual([]);
    });

    it(':exact compares the whole text, case and accents included', async () => {
      expect(await ids('Patient', 'family:exact=Côté')).toEqual([d.helene.id]);
      expect(await ids('Patient', 'family:exact=Cote')).toEqual([]);
      expect(await ids('Patient', 'family:exact=Côt')).toEqual([]);
    });

    it(':contains matches anywhere in the text', async () => {
      expect(await ids('Patient', 'name:contains=lèn')).toEqual([d.helene.id]);
      expect(await ids('Patient', 'name:contains=OUIS')).toEqual([d.louis.id]);
    });
  });

  describe('token parameters', () => {
    it('system|code matches that code in that system only', async () => {
      expect(sorted(await ids('Observation', `code=${loinc}|718-7`))).toEqual(idOf('hbMarc', 'hbHelene', 'both'));
      expect(await ids('Observation', 'code=http://snomed.info/sct|718-7')).toEqual([]);
    });

    it('code alone matches it in any system, or none', async () => {
      expect(sorted(await ids('Observation', 'code=718-7'))).toEqual(idOf('hbMarc', 'hbHelene', 'both'));
      expect(await ids('Observation', 'code=local-1')).toEqual([d.local.id]);
    });

    it('|code matches only codes without a system', async () => {
      expect(await ids('Observation', 'code=|local-1')).toEqual([d.local.id]);
      expect(await ids('Observation', 'code=|718-7')).toEqual([]);
    });

    it(':not matches the resources without that code', async () => {
      expect(sorted(await ids('Observation', 'code:not=718-7'))).toEqual(idOf('glucose', 'local'));
    });

    it('identifier and gender are tokens too', async () => {
      expect(await ids('Patient', 'identifier=H-1')).toEqual([d.helene.id]);
      expect(sorted(await ids('Patient', 'gender=male'))).toEqual(idOf('marc', 'louis'));
    });
  });

  describe('date parameters', () => {
    it.each([
      ['date=2024', ['glucose', 'hbMarc', 'both']],
      ['date=eq2024-06-01', ['hbMarc']],
      ['date=ge2024-06-01', ['hbMarc', 'hbHelene', 'both']],
      ['date=gt2024-06-01', ['hbHelene', 'both']],
      ['date=lt2024', ['local']],
      ['date=le2024-03-10', ['local', 'glucose']],
      ['date=sa2024-06-01', ['hbHelene', 'both']],
      ['date=eb2024', ['local']],
      ['date=ne2024', ['local', 'hbHelene']],
    ] as const)('%s finds exactly the right Observations', async (query, expected) => {
      expect(sorted(await ids('Observation', query))).toEqual(idOf(...expected));
    });

    it('_lastUpdated, from the version metadata', async () => {
      expect(sorted(await ids('Observation', `_lastUpdated=ge${d.hbHelene.lastUpdated}`))).toEqual(idOf('hbHelene', 'both'));
      expect(await ids('Observation', `_lastUpdated=lt${d.hbMarc.lastUpdated}`)).toEqual([d.glucose.id]);
    });

    it('birthdate with and without a prefix', async () => {
      expect(await ids('Patient', 'birthdate=1980-05-12')).toEqual([d.helene.id]);
      expect(await ids('Patient', 'birthdate=lt1980')).toEqual([d.marc.id]);
      expect(await ids('Patient', 'birthdate=1980-05')).toEqual([d.helene.id]);
    });
  });

  describe('quantity, reference and uri parameters', () => {
    it('value-quantity with the precision of the value, prefixes, and system|code', async () => {
      expect(await ids('Observation', 'value-quantity=5.4')).toEqual([d.glucose.id]);
      expect(sorted(await ids('Observation', 'value-quantity=gt100'))).toEqual(idOf('hbMarc', 'hbHelene'));
      expect(sorted(await ids('Observation', 'value-quantity=le7'))).toEqual(idOf('glucose', 'local'));
      expect(await ids('Observation', `value-quantity=140|${ucum}|g/L`)).toEqual([d.hbMarc.id]);
      expect(await ids('Observation', `value-quantity=140|${ucum}|mmol/L`)).toEqual([]);
    });

    it('references by Type/id, by bare id with a type modifier, to patients and to other types', async () => {
      expect(sorted(await ids('Observation', `subject=Patient/${d.helene.id}`))).toEqual(idOf('glucose', 'hbHelene'));
      expect(sorted(await ids('Observation', `subject:Patient=${d.helene.id}`))).toEqual(idOf('glucose', 'hbHelene'));
      expect(await ids('Observation', `encounter=Encounter/${d.enc.id}`)).toEqual([d.glucose.id]);
      expect(await ids('Observation', `performer=Practitioner/${d.prac.id}`)).toEqual([d.glucose.id]);
      expect(await ids('Observation', 'encounter=Encounter/no-such-encounter')).toEqual([]);
    });

    it('uri by exact value and with :below', async () => {
      expect(await ids('ValueSet', 'url=http://example.org/fhir/ValueSet/blood')).toEqual([d.blood.id]);
      expect(sorted(await ids('ValueSet', 'url:below=http://example.org/fhir/'))).toEqual(idOf('blood', 'urine'));
      expect(await ids('ValueSet', 'url=http://example.org/fhir/ValueSet')).toEqual([]);
    });
  });

  describe('combining parameters', () => {
    it('OR: code=a,b lists each match once, even one holding both codes', async () => {
      const found = await ids('Observation', 'code=2339-0,718-7');
      expect(sorted(found)).toEqual(idOf('glucose', 'hbMarc', 'hbHelene', 'both'));
    });

    it('AND: different parameters and a repeated parameter must all hold', async () => {
      expect(await ids('Observation', `code=718-7&subject=Patient/${d.helene.id}`)).toEqual([d.hbHelene.id]);
      expect(await ids('Observation', 'code=718-7&date=ge2025')).toEqual([d.hbHelene.id]);
      expect(sorted(await ids('Observation', 'date=ge2024-01-01&date=lt2024-07-01'))).toEqual(idOf('glucose', 'hbMarc'));
    });

    it('chains: subject:Patient.identifier=system|value and patient.name=…', async () => {
      expect(sorted(await ids('Observation', `subject:Patient.identifier=${mrn}|H-1`))).toEqual(idOf('glucose', 'hbHelene'));
      expect(sorted(await ids('Observation', 'patient.name=helene'))).toEqual(idOf('glucose', 'hbHelene'));
      expect(await ids('Observation', 'patient.name=nobody')).toEqual([]);
      expect(await ids('Observation', 'patient.name=helene&code=2339-0')).toEqual([d.glucose.id]);
    });

    it('refuses a chain through a type the caller may not read (a clerk chaining to Condition)', async () => {
      const error = await rejection(search(t, 'Encounter', 'diagnosis:Condition.code=x', { ctx: contextFor('clerk') }));
      expect(error).toBeInstanceOf(Invalid);
      expect(error.issues).toEqual([expect.objectContaining({ code: 'forbidden' })]);
      expect(await ids('Encounter', 'diagnosis:Condition.code=x')).toEqual([]);
    });
  });

  describe('_include and _revinclude', () => {
    it('_include=Observation:patient adds the patient, once', async () => {
      const result = await search(t, 'Observation', `subject=Patient/${d.helene.id}&_include=Observation:patient`);
      expect(sorted(result.matches.map((match) => match.id))).toEqual(idOf('glucose', 'hbHelene'));
      expect(result.includes.map((record) => `${record.resourceType}/${record.id}`)).toEqual([`Patient/${d.helene.id}`]);
    });

    it('_include=Observation:encounter adds the encounter', async () => {
      const result = await search(t, 'Observation', `_id=${d.glucose.id}&_include=Observation:encounter`);
      expect(result.includes.map((record) => `${record.resourceType}/${record.id}`)).toEqual([`Encounter/${d.enc.id}`]);
    });

    it('_revinclude=Provenance:target adds the provenance pointing at a match', async () => {
      const result = await search(t, 'Observation', `code=2339-0&_revinclude=Provenance:target`);
      expect(result.includes.map((record) => `${record.resourceType}/${record.id}`)).toEqual([`Provenance/${d.prov.id}`]);
    });

    it('includes nothing the caller may not read', async () => {
      const query = `_id=${d.enc.id}&_revinclude=Observation:encounter`;
      expect((await search(t, 'Encounter', query)).includes.map((record) => record.id)).toEqual([d.glucose.id]);
      const result = await search(t, 'Encounter', query, { ctx: contextFor('clerk') });
      expect(result.matches.map((match) => match.id)).toEqual([d.enc.id]);
      expect(result.includes).toEqual([]);
    });
  });

  describe('_sort', () => {
    it('date ascending and descending', async () => {
      const byDate = ['local', 'glucose', 'hbMarc', 'both', 'hbHelene'] as const;
      expect(await ids('Observation', '_sort=date')).toEqual(byDate.map((key) => d[key].id));
      expect(await ids('Observation', '_sort=-date')).toEqual([...byDate].reverse().map((key) => d[key].id));
    });

    it('_lastUpdated ascending and descending (creation order here)', async () => {
      const created = ['glucose', 'hbMarc', 'local', 'hbHelene', 'both'] as const;
      expect(await ids('Observation', '_sort=_lastUpdated')).toEqual(created.map((key) => d[key].id));
      expect(await ids('Observation', '_sort=-_lastUpdated')).toEqual([...created].reverse().map((key) => d[key].id));
    });

    it('birthdate on Patient', async () => {
      expect(await ids('Patient', '_sort=birthdate')).toEqual([d.marc.id, d.helene.id, d.louis.id]);
      expect(await ids('Patient', '_sort=-birthdate')).toEqual([d.louis.id, d.helene.id, d.marc.id]);
    });

    it('a sorted search pages in order, with no match repeated or missing', async () => {
      const { references, pages } = await allPages((cursor) => search(t, 'Observation', withCursor('_sort=-date&_count=2', cursor)));
      expect(pages).toBe(3);
      expect(references).toEqual(['hbHelene', 'both', 'hbMarc', 'glucose', 'local'].map((key) => `Observation/${d[key as keyof typeof d].id}`));
    });

    it('refuses to sort on a parameter that is not a date with Invalid', async () => {
      expect(await rejection(search(t, 'Patient', '_sort=name'))).toBeInstanceOf(Invalid);
    });
  });

  describe('result parameters', () => {
    it('_summary=count gives the total and no resources', async () => {
      const result = await search(t, 'Observation', '_summary=count');
      expect(result.total).toBe(5);
      expect(result.matches).toEqual([]);
      expect(result.next).toBeUndefined();
    });

    it('_total=accurate counts every match while the page holds _count of them', async () => {
      const result = await search(t, 'Observation', 'code=718-7&_total=accurate&_count=1');
      expect(result.total).toBe(3);
      expect(result.matches).toHaveLength(1);
      expect(result.next).toBeDefined();
      expect((await search(t, 'Observation', 'code=718-7&_count=1')).total).toBeUndefined();
    });

    it('_elements keeps the listed elements and the mandatory ones, marked SUBSETTED', async () => {
      const result = await search(t, 'Patient', 'name=helene&_elements=birthDate,gender');
      expect(result.request?.elements).toEqual(['birthDate', 'gender']);
      const subset = subsetted(result.matches[0]!.resource!, result.request?.elements);
      expect(Object.keys(subset).sort()).toEqual(['birthDate', 'gender', 'id', 'meta', 'resourceType']);
      expect(subset.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
    });

    it('_count=0 returns no match', async () => {
      expect((await search(t, 'Observation', 'code=718-7&_count=0')).matches).toEqual([]);
    });
  });

  describe('errors', () => {
    it('strict handling rejects an unknown parameter with Invalid naming it', async () => {
      const error = await rejection(search(t, 'Patient', 'name=helene&shoe-size=42'));
      expect(error).toBeInstanceOf(Invalid);
      expect(error.message).toContain('"shoe-size"');
    });

    it('lenient handling ignores an unknown parameter, searches with the rest and says what it ignored', async () => {
      const result = await search(t, 'Patient', 'name=helene&shoe-size=42', { lenient: true });
      expect(result.matches.map((match) => match.id)).toEqual([d.helene.id]);
      expect(result.issues).toEqual([expect.objectContaining({ severity: 'warning', diagnostics: expect.stringContaining('"shoe-size"') as string })]);
    });

    it('rejects a malformed value with Invalid', async () => {
      expect(await rejection(search(t, 'Observation', 'date=2024-13'))).toBeInstanceOf(Invalid);
      expect(await rejection(search(t, 'Observation', 'value-quantity=abc'))).toBeInstanceOf(Invalid);
    });

    it('rejects a forged cursor, a cursor of another search, and a cursor altered to open another patient’s compartment with Invalid', async () => {
      expect(await rejection(search(t, 'Observation', 'code=718-7&_cursor=bm90LWEtY3Vyc29y'))).toBeInstanceOf(Invalid);
      const first = await search(t, 'Observation', 'code=718-7&_count=1');
      expect(await rejection(search(t, 'Observation', withCursor('code=2339-0&_count=1', first.next)))).toBeInstanceOf(Invalid);
      const own = await search(t, 'Observation', `subject=Patient/${d.helene.id}&_count=1`);
      const state = JSON.parse(Buffer.from(own.next!, 'base64url').toString('utf8')) as Json;
      const altered = Buffer.from(JSON.stringify({ ...state, c: encodeCursor({ pk: `cmp#Patient/${d.marc.id}`, sk: 'Observation/0' }) })).toString('base64url');
      expect(await rejection(search(t, 'Observation', withCursor(`subject=Patient/${d.helene.id}&_count=1`, altered)))).toBeInstanceOf(Invalid);
    });
  });

  describe('$everything', () => {
    it('returns exactly the patient’s compartment, the Patient included', async () => {
      const result = await everything(t, d.helene.id);
      expect(sorted(result.matches.map((match) => `${match.resourceType}/${match.id}`))).toEqual(
        sorted([`Patient/${d.helene.id}`, `Encounter/${d.enc.id}`, `Observation/${d.glucose.id}`, `Observation/${d.hbHelene.id}`]),
      );
    });

    it('keeps only the types named by _type', async () => {
      expect(sorted((await everything(t, d.helene.id, '_type=Observation')).matches.map((match) => match.id))).toEqual(idOf('glucose', 'hbHelene'));
      expect(sorted((await everything(t, d.helene.id, '_type=Patient,Encounter')).matches.map((match) => match.id))).toEqual(idOf('helene', 'enc'));
    });

    it('keeps only what changed at or after _since', async () => {
      expect((await everything(t, d.helene.id, `_since=${d.hbHelene.lastUpdated}`)).matches.map((match) => match.id)).toEqual([d.hbHelene.id]);
    });

    it('gives a clerk the demographics and scheduling, never an Observation', async () => {
      const result = await everything(t, d.helene.id, '', contextFor('clerk'));
      expect(sorted(result.matches.map((match) => `${match.resourceType}/${match.id}`))).toEqual(sorted([`Patient/${d.helene.id}`, `Encounter/${d.enc.id}`]));
    });

    it('answers NotFound for an unknown patient and Gone for a deleted one', async () => {
      expect(await rejection(everything(t, 'no-such-patient'))).toBeInstanceOf(NotFound);
      const leaving = await t.create({ resourceType: 'Patient', name: [{ family: 'Départ' }] });
      await t.writer.delete(writerCtx, 'Patient', leaving.id);
      expect(await rejection(everything(t, leaving.id))).toBeInstanceOf(Gone);
    });

    it('with _count=0 returns no resource and no next page', async () => {
      const result = await everything(t, d.helene.id, '_count=0');
      expect(result.matches).toEqual([]);
      expect(result.next).toBeUndefined();
    });

    it('rejects a parameter it does not take with Invalid', async () => {
      expect(await rejection(everything(t, d.helene.id, '_since=2024-01-01'))).toBeInstanceOf(Invalid);
      expect(await rejection(everything(t, d.helene.id, 'code=718-7'))).toBeInstanceOf(Invalid);
      expect(await rejection(everything(t, d.helene.id, '_type=NotAType'))).toBeInstanceOf(Invalid);
    });
  });

  describe('the access journal', () => {
    it('a search returning resources of 3 patients writes exactly 3 AuditEvents, one per patient', async () => {
      const ctx = requestFor('physician');
      const result = await search(t, 'Observation', 'code=718-7', { ctx });
      expect(result.matches).toHaveLength(3);
      for (const patient of [d.helene, d.marc, d.louis]) {
        expect(await t.journalOf(`Patient/${patient.id}`, ctx.requestId)).toEqual([expect.objectContaining({ action: 'E', outcome: '0', subtype: [expect.objectContaining({ code: 'search-type' })] })]);
      }
      expect(await t.journalOf('Observation', ctx.requestId)).toEqual([]);
    });

    it('a Practitioner search writes one AuditEvent under Practitioner', async () => {
      const ctx = requestFor('physician');
      expect((await search(t, 'Practitioner', 'name=bouchard', { ctx })).matches).toHaveLength(1);
      expect(await t.journalOf('Practitioner', ctx.requestId)).toHaveLength(1);
    });

    it('a denied search writes one denied entry and returns nothing', async () => {
      const ctx = requestFor('clerk');
      expect(await rejection(search(t, 'Observation', 'code=718-7', { ctx }))).toBeInstanceOf(Forbidden);
      expect(await t.journalOf('Observation', ctx.requestId)).toEqual([expect.objectContaining({ outcomeDesc: 'denied' })]);
      expect(await t.journalOf(`Patient/${d.marc.id}`, ctx.requestId)).toEqual([]);
    });

    it('$everything writes one AuditEvent for the patient', async () => {
      const ctx = requestFor('physician');
      await everything(t, d.helene.id, '', ctx);
      expect(await t.journalOf(`Patient/${d.helene.id}`, ctx.requestId)).toEqual([expect.objectContaining({ subtype: [expect.objectContaining({ code: 'instance-operation' })] })]);
    });

    it('returns no data when the journal cannot be written: search and $everything reject', async () => {
      const auditClient = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: inject('dynamoDbEndpoint'), region: 'ca-central-1', credentials: localCredentials }));
      const audit = mockClient(auditClient);
      audit.on(PutCommand).rejects(Object.assign(new Error('audit table unavailable'), { name: 'ServiceUnavailable' }));
      const blind = new SearchService(t.store, new AccessRecorder(new DynamoDbAccessJournal(auditClient, t.env.names.audit), t.store));
      expect(await rejection(blind.search(physician, 'Observation', paramsOf('code=718-7'), { lenient: false, query: 'code=718-7' }))).toHaveProperty('message', 'audit table unavailable');
      expect(await rejection(blind.everything(physician, d.helene.id, [], { lenient: false, query: '' }))).toHaveProperty('message', 'audit table unavailable');
      expect(audit.commandCalls(PutCommand).length).toBeGreaterThanOrEqual(2);
    });
  });
});

describe('paging past 100 results', () => {
  let t: Tables;
  let patient: VersionRecord;
  const both: string[] = [];
  const onlyN: string[] = [];
  const onlyM: string[] = [];

  beforeAll(async () => {
    t = await searchTables();
    patient = await t.create({ resourceType: 'Patient', name: [{ family: 'Volume' }] });
    const day = (i: number) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    const bodies = Array.from({ length: 145 }, (_, i) => {
      const codes = i < 10 ? ['n', 'm'] : i < 130 ? ['n'] : ['m'];
      return observation(patient.id, { code: { coding: codes.map((code) => ({ system: 'urn:bulk', code })) }, effectiveDateTime: day(i) });
    });
    const created = await createAll(t, bodies);
    created.forEach((version, i) => (i < 10 ? both : i < 130 ? onlyN : onlyM).push(`Observation/${version.id}`));
    await indexWrites(t.env, [patient, ...created]);
  });

  it('an index-driven search (code=urn:bulk|n) over 130 matches, 25 a page', async () => {
    const { references, pages } = await allPages((cursor) => search(t, 'Observation', withCursor('code=urn:bulk|n&_count=25', cursor)));
    expect(pages).toBe(6);
    expect(references).toHaveLength(130);
    expect(sorted(references)).toEqual(sorted([...both, ...onlyN]));
  });

  it('an OR search over two codes (140+ matches, 10 holding both), listing each once', async () => {
    const { references } = await allPages((cursor) => search(t, 'Observation', withCursor('code=urn:bulk|n,urn:bulk|m&_count=20', cursor)));
    expect(references).toHaveLength(145);
    expect(sorted(references)).toEqual(sorted([...both, ...onlyN, ...onlyM]));
  });

  it('a compartment-driven search (subject=Patient/x), 40 a page', async () => {
    const { references } = await allPages((cursor) => search(t, 'Observation', withCursor(`subject=Patient/${patient.id}&_count=40`, cursor)));
    expect(references).toHaveLength(145);
    expect(new Set(references).size).toBe(145);
  });

  it('a search with no parameter (the type listing), 50 a page', async () => {
    const { references } = await allPages((cursor) => search(t, 'Observation', withCursor('_count=50', cursor)));
    expect(sorted(references)).toEqual(sorted([...both, ...onlyN, ...onlyM]));
  });

  it('a sorted search (-date), 30 a page, in order', async () => {
    const { references } = await allPages((cursor) => search(t, 'Observation', withCursor('code=urn:bulk|n&_sort=-date&_count=30', cursor)));
    expect(references).toEqual([...both, ...onlyN].reverse());
  });

  it('$everything over 146 resources, 40 a page, the Patient included', async () => {
    const { references, pages } = await allPages((cursor) => everything(t, patient.id, cursor ? `_count=40&_cursor=${encodeURIComponent(cursor)}` : '_count=40'));
    expect(pages).toBe(4);
    expect(sorted(references)).toEqual(sorted([`Patient/${patient.id}`, ...both, ...onlyN, ...onlyM]));
  });

  it('$everything with _type pages only that type', async () => {
    const { references } = await allPages((cursor) => everything(t, patient.id, cursor ? `_type=Observation&_count=60&_cursor=${encodeURIComponent(cursor)}` : '_type=Observation&_count=60'));
    expect(sorted(references)).toEqual(sorted([...both, ...onlyN, ...onlyM]));
  });

  it('_total=accurate counts all 130 matches', async () => {
    expect((await search(t, 'Observation', 'code=urn:bulk|n&_total=accurate&_count=5')).total).toBe(130);
  });
});

describe('while the index lags a write', () => {
  let t: Tables;
  beforeAll(async () => {
    t = await searchTables();
  });

  it('never returns a superseded version of an updated resource', async () => {
    const before = await t.create({ resourceType: 'Patient', name: [{ family: 'Avant' }] });
    await indexWrites(t.env, [before]);
    await t.writer.update(writerCtx, 'Patient', before.id, () => ({ resourceType: 'Patient', id: before.id, name: [{ family: 'Apres' }] }));
    const result = await search(t, 'Patient', 'family=avant');
    expect(result.matches.map((match) => `${match.id}@${match.versionId}`)).toEqual([]);
  });

  it('never returns a deleted resource', async () => {
    const doomed = await t.create({ resourceType: 'Patient', name: [{ family: 'Efface' }] });
    await indexWrites(t.env, [doomed]);
    await t.writer.delete(writerCtx, 'Patient', doomed.id);
    expect((await search(t, 'Patient', 'family=efface')).matches.map((match) => `${match.id}@${match.versionId}`)).toEqual([]);
  });
});

describe('the cost of a search page', () => {
  let t: Tables;
  let patient: VersionRecord;

  const addObservations = async (count: number, code: string) => {
    const created = await createAll(t, Array.from({ length: count }, () => observation(patient.id, { code: { coding: [{ system: 'urn:cost', code }] } })));
    await indexWrites(t.env, created);
  };

  /** DynamoDB calls per page, by table: record-table calls by command, and journal writes. */
  async function measure() {
    const profile = async (action: () => Promise<unknown>) => {
      const calls = await callsDuring(action);
      return {
        record: calls.filter((call) => call.tables.includes(t.env.names.record)).map((call) => call.command).sort(),
        journal: calls.filter((call) => call.tables.includes(t.env.names.audit)).length,
        other: calls.filter((call) => !call.tables.includes(t.env.names.record) && !call.tables.includes(t.env.names.audit)).length,
      };
    };
    let next: string | undefined;
    // Each page is a request of its own, so each reads the patient's restrictions (its Consents) once.
    const ctx = () => requestFor('physician');
    return {
      indexFirstPage: await profile(async () => (next = (await search(t, 'Observation', 'code=urn:cost|c&_count=10', { ctx: ctx() })).next)),
      indexSecondPage: await profile(() => search(t, 'Observation', withCursor('code=urn:cost|c&_count=10', next), { ctx: ctx() })),
      compartment: await profile(() => search(t, 'Observation', `subject=Patient/${patient.id}&_count=10`, { ctx: ctx() })),
      listing: await profile(() => search(t, 'Observation', '_count=10', { ctx: ctx() })),
      identifier: await profile(() => search(t, 'Patient', `identifier=${mrn}|COST-1`, { ctx: ctx() })),
      everything: await profile(() => everything(t, patient.id, '_count=10', ctx())),
    };
  }

  beforeAll(async () => {
    t = await searchTables();
    patient = await t.create({ resourceType: 'Patient', identifier: [{ system: mrn, value: 'COST-1' }], name: [{ family: 'Cout' }] });
    await indexWrites(t.env, [patient]);
    await addObservations(15, 'c');
  });

  it('depends on the page, never on the table: the same calls with 16 resources or 25 times more, and at most _count + 2', async () => {
    const small = await measure();
    await addObservations(200, 'c');
    await addObservations(200, 'd');
    const large = await measure();
    // The second index page holds the 5 remaining matches in the small table and a full 10 in the
    // large one; every other page returns the same number of matches in both.
    const { indexSecondPage: smallSecond, ...smallRest } = small;
    const { indexSecondPage: largeSecond, ...largeRest } = large;
    expect(largeRest).toEqual(smallRest);
    expect(smallSecond.record.length).toBeLessThan(largeSecond.record.length);
    for (const [name, page] of Object.entries(large)) {
      expect({ name, calls: page.record.length <= 10 + 2 }).toEqual({ name, calls: true });
      expect({ name, journal: page.journal, other: page.other }).toEqual({ name, journal: 1, other: 0 });
    }
    // Index entries may lag a write, so each candidate is read at its current version: one index
    // Query, then one Query per candidate (10 on a full page), then one for the patient's restrictions.
    expect(large.indexFirstPage.record).toEqual(Array.from({ length: 12 }, () => 'QueryCommand'));
    // Compartment items are written with the version: one Query and one BatchGetItem, and the restrictions' Query.
    expect(large.compartment.record).toEqual(['BatchGetItemCommand', 'QueryCommand', 'QueryCommand']);
  });
});
