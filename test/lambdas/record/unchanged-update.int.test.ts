import { beforeAll, describe, expect, it } from 'vitest';
import type { VersionRecord } from '../../../lambdas/store/record-store';
import { requestFor } from '../../support/principals';
import { journalOfRequest, uniqueTag, writeServicesOnFreshTables, type FreshTables, type WriteServices } from '../../support/write-services';

/**
 * An update whose content equals the current version's (meta aside) writes no version and
 * answers 200 with the current one, alone, conditionally or inside a transaction: what makes a
 * re-run load create nothing. It is journaled all the same.
 */

type Json = Record<string, unknown>;
const mrn = 'urn:dsc:test:mrn';

describe('updates that change nothing, against DynamoDB Local', () => {
  let env: FreshTables;
  let services: WriteServices;
  beforeAll(async () => ({ env, services } = await writeServicesOnFreshTables()));

  const patient = (id: string, extra: Json = {}): Json => ({ resourceType: 'Patient', id, name: [{ family: 'Roy' }], birthDate: '1950-01-02', ...extra });
  const observation = (id: string, subject: string): Json => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
    subject: { reference: subject },
    valueQuantity: { value: 5.40, unit: 'mmol/L' },
  });

  async function versionsOf(resourceType: string, id: string): Promise<number[]> {
    return (await services.store.history(resourceType, id, { limit: 100 })).items.map((version: VersionRecord) => version.versionId);
  }

  it('answers 200 with the current version and writes no version when a PUT repeats the content, the meta it read included', async () => {
    const id = `same-${uniqueTag()}`;
    const created = await services.writer.update(requestFor('nurse'), 'Patient', id, () => patient(id));
    expect(created.status).toBe(201);
    const again = await services.writer.update(requestFor('nurse'), 'Patient', id, () => ({ ...patient(id), meta: created.version.resource?.meta }), 'W/"1"');
    expect(again).toMatchObject({ status: 200, unchanged: true, version: { versionId: 1, lastUpdated: created.version.lastUpdated } });
    expect(await versionsOf('Patient', id)).toEqual([1]);
  });

  it('still writes a new version when anything but the server’s meta differs', async () => {
    const id = `diff-${uniqueTag()}`;
    await services.writer.update(requestFor('nurse'), 'Patient', id, () => patient(id));
    const changed = await services.writer.update(requestFor('nurse'), 'Patient', id, () => patient(id, { birthDate: '1950-01-03' }));
    expect(changed).toMatchObject({ status: 200, version: { versionId: 2 } });
    expect(changed.unchanged).toBeUndefined();
  });

  it('journals an unchanged update for the patient concerned, once', async () => {
    const id = `journal-${uniqueTag()}`;
    await services.writer.update(requestFor('nurse'), 'Patient', id, () => patient(id));
    const ctx = requestFor('nurse');
    await services.writer.update(ctx, 'Patient', id, () => patient(id));
    expect(await journalOfRequest(env, `Patient/${id}`, ctx.requestId)).toEqual([expect.objectContaining({ action: 'U', subtype: [expect.objectContaining({ code: 'update' })] })]);
  });

  it('treats a conditional update that repeats the matching resource as unchanged', async () => {
    const value = uniqueTag();
    const body: Json = { ...patient('cu'), identifier: [{ system: mrn, value }] };
    delete body.id;
    const first = await services.writer.conditionalUpdate(requestFor('nurse'), 'Patient', `identifier=${mrn}|${value}`, () => body);
    const again = await services.writer.conditionalUpdate(requestFor('nurse'), 'Patient', `identifier=${mrn}|${value}`, () => body);
    expect(again).toMatchObject({ status: 200, unchanged: true, version: { id: first.version.id, versionId: 1 } });
  });

  it('does not take a deleted resource’s last content as current: the same PUT brings it back (201)', async () => {
    const id = `gone-${uniqueTag()}`;
    await services.writer.update(requestFor('nurse'), 'Patient', id, () => patient(id));
    await services.writer.delete(requestFor('nurse'), 'Patient', id);
    const back = await services.writer.update(requestFor('nurse'), 'Patient', id, () => patient(id));
    expect(back).toMatchObject({ status: 201, version: { versionId: 3 } });
  });

  describe('inside a transaction', () => {
    const transaction = (entries: Json[]) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: entries.map((resource) => ({ resource, request: { method: 'PUT', url: `${String(resource.resourceType)}/${String(resource.id)}` } })),
    });

    it('re-running a transaction commits no version and answers 200 with the existing versions, journaled once per patient', async () => {
      const p = `tp-${uniqueTag()}`;
      const bundle = transaction([patient(p), observation(`to-${p}`, `Patient/${p}`)]);
      const first = await services.bundles.process(requestFor('nurse'), bundle);
      expect(first.entry.map((entry) => entry.response.status)).toEqual(['201 Created', '201 Created']);
      const ctx = requestFor('nurse');
      const again = await services.bundles.process(ctx, bundle);
      expect(again.entry.map((entry) => entry.response)).toEqual(first.entry.map((entry) => ({ ...entry.response, status: '200 OK' })));
      expect(await versionsOf('Patient', p)).toEqual([1]);
      expect(await versionsOf('Observation', `to-${p}`)).toEqual([1]);
      const journal = await journalOfRequest(env, `Patient/${p}`, ctx.requestId);
      expect(journal).toHaveLength(1);
      expect(JSON.stringify(journal[0]?.entity)).toContain(`Observation/to-${p}`);
    });

    it('commits only what changed when a re-run mixes unchanged and changed entries', async () => {
      const p = `tm-${uniqueTag()}`;
      await services.bundles.process(requestFor('nurse'), transaction([patient(p), observation(`tm-${p}`, `Patient/${p}`)]));
      const changed = { ...observation(`tm-${p}`, `Patient/${p}`), status: 'amended' };
      const response = await services.bundles.process(requestFor('nurse'), transaction([patient(p), changed]));
      expect(response.entry.map((entry) => [entry.response.status, entry.response.etag])).toEqual([
        ['200 OK', 'W/"1"'],
        ['200 OK', 'W/"2"'],
      ]);
      expect(await versionsOf('Patient', p)).toEqual([1]);
    });
  });
});
