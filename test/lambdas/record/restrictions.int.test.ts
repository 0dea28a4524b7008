import { beforeAll, describe, expect, it, vi } from 'vitest';
import { restrictionDenial } from '../../../lambdas/access/policy';
import type { Role } from '../../../lambdas/access/roles';
import type { AuditEvent } from '../../../lambdas/audit/audit-event';
import { Forbidden } from '../../../lambdas/fhir/errors';
import { logger } from '../../../lambdas/platform/logger';
import type { RequestContext } from '../../../lambdas/record/request-context';
import type { VersionRecord } from '../../../lambdas/store/record-store';
import { indexWrites } from '../../support/indexing';
import { contextFor, requestFor } from '../../support/principals';
import { rejection } from '../../support/rejection';
import { restrictionDenying } from '../../support/restrictions';
import { journalOfRequest, writeServicesOnFreshTables, type FreshTables, type WriteServices } from '../../support/write-services';

/**
 * LRSSS restrictions through the services on DynamoDB Local: a Consent written as a client would
 * keeps Dr Tremblay from one Observation in every read path, and from nothing else; Dr Gagnon
 * sees it; break-glass shows it to Dr Tremblay and journals the override.
 */

const nurse = contextFor('nurse');
const reason = 'Urgence : patient inconscient, arrêt cardiaque';

/** A fresh request (its own restriction cache and request id) by a physician linked to a Practitioner. */
function asPractitioner(practitioner: string, extra: Partial<RequestContext> = {}, ...roles: Role[]): RequestContext {
  const base = requestFor(...(roles.length > 0 ? roles : (['physician'] as Role[])));
  return { ...base, principal: { ...base.principal, email: `${practitioner.toLowerCase()}@ciusss.example`, practitioner: `Practitioner/${practitioner}` }, ...extra };
}
const tremblay = (extra: Partial<RequestContext> = {}) => asPractitioner('tremblay', extra);
const gagnon = (extra: Partial<RequestContext> = {}) => asPractitioner('gagnon', extra);

describe('patient restrictions (Consent) through the services, on DynamoDB Local', () => {
  let env: FreshTables;
  let services: WriteServices;
  let patient: VersionRecord;
  let encounter: VersionRecord;
  let hidden: VersionRecord;
  let open: VersionRecord;

  beforeAll(async () => {
    ({ env, services } = await writeServicesOnFreshTables());
    const create = async (resource: Record<string, unknown>) => (await services.writer.create(nurse, resource.resourceType as 'Patient', () => resource)).version;
    patient = await create({ resourceType: 'Patient', name: [{ family: 'Lavoie' }] });
    const subject = { reference: `Patient/${patient.id}` };
    encounter = await create({ resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject });
    const observation = (text: string) => ({ resourceType: 'Observation', status: 'final', code: { text }, subject, encounter: { reference: `Encounter/${encounter.id}` } });
    hidden = await create(observation('HIV viral load'));
    open = await create(observation('pulse'));
    await create(restrictionDenying('Practitioner/tremblay', `Observation/${hidden.id}`, subject));
    await indexWrites(env, [patient, encounter, hidden, open]);
  });

  const journalOf = (ctx: RequestContext) => journalOfRequest(env, `Patient/${patient.id}`, ctx.requestId);
  const entitiesOf = (event: AuditEvent | undefined) => (event?.entity ?? []).slice(1).flatMap((entity) => entity.what?.reference ?? []);
  const ids = (records: readonly VersionRecord[]) => records.map((record) => record.id).sort();

  describe('read, vread and history', () => {
    it('answer Forbidden to the restricted practitioner, saying a restriction applies and break-glass exists, and journal the denial', async () => {
      const ctx = tremblay();
      const error = await rejection(services.reader.read(ctx, 'Observation', hidden.id));
      expect(error).toBeInstanceOf(Forbidden);
      expect((error as Error).message).toBe(restrictionDenial);
      expect((error as Error).message).not.toContain(hidden.id);
      const [entry, ...others] = await journalOf(ctx);
      expect(others).toEqual([]);
      expect(entry).toMatchObject({ outcomeDesc: 'denied', agent: [{ who: { reference: 'Practitioner/tremblay', display: 'tremblay@ciusss.example' } }] });
      expect(entitiesOf(entry)).toEqual([`Observation/${hidden.id}`]);
    });

    it('answer Forbidden to vread and instance history too', async () => {
      expect(await rejection(services.reader.vread(tremblay(), 'Observation', hidden.id, 1))).toBeInstanceOf(Forbidden);
      expect(await rejection(services.reader.history(tremblay(), 'Observation', hidden.id, { count: 10 }))).toBeInstanceOf(Forbidden);
    });

    it('let the restricted practitioner read what the restriction does not cover', async () => {
      expect((await services.reader.read(tremblay(), 'Observation', open.id)).id).toBe(open.id);
      expect((await services.reader.read(tremblay(), 'Patient', patient.id)).id).toBe(patient.id);
    });

    it('let another practitioner read the restricted item', async () => {
      const ctx = gagnon();
      expect((await services.reader.read(ctx, 'Observation', hidden.id)).id).toBe(hidden.id);
      expect(await journalOf(ctx)).toEqual([expect.objectContaining({ outcomeDesc: 'success', purposeOfEvent: [{ coding: [expect.objectContaining({ code: 'TREAT' })] }] })]);
    });
  });

  describe('searches, includes, $everything and type history', () => {
    it('drop the restricted item from a search, silently, and journal it as withheld', async () => {
      const query = `subject=Patient/${patient.id}`;
      const ctx = tremblay();
      const result = await services.search.search(ctx, 'Observation', [['subject', `Patient/${patient.id}`]], { lenient: false, query });
      expect(ids(result.matches)).toEqual([open.id]);
      expect(result.issues).toEqual([]);
      const journal = await journalOf(ctx);
      expect(journal.map((event) => [event.outcomeDesc, entitiesOf(event)])).toEqual(
        expect.arrayContaining([
          ['success', [`Observation/${open.id}`]],
          ['denied', [`Observation/${hidden.id}`]],
        ]),
      );
      expect(ids((await services.search.search(gagnon(), 'Observation', [['subject', `Patient/${patient.id}`]], { lenient: false, query })).matches)).toEqual(ids([hidden, open]));
    });

    it('count in totals only what the caller may see (_total=accurate, _summary=count)', async () => {
      const total = async (ctx: RequestContext, param: readonly [string, string]) =>
        (await services.search.search(ctx, 'Observation', [['subject', `Patient/${patient.id}`], param], { lenient: false, query: '' })).total;
      expect(await total(tremblay(), ['_total', 'accurate'])).toBe(1);
      expect(await total(tremblay(), ['_summary', 'count'])).toBe(1);
      expect(await total(gagnon(), ['_summary', 'count'])).toBe(2);
    });

    it('drop the restricted item from _revinclude', async () => {
      const params = [['_id', encounter.id], ['_revinclude', 'Observation:encounter']] as const;
      const restricted = await services.search.search(tremblay(), 'Encounter', params, { lenient: false, query: '' });
      expect(ids(restricted.matches)).toEqual([encounter.id]);
      expect(ids(restricted.includes)).toEqual([open.id]);
      expect(ids((await services.search.search(gagnon(), 'Encounter', params, { lenient: false, query: '' })).includes)).toEqual(ids([hidden, open]));
    });

    it('drop the restricted item from _include', async () => {
      // Observation:encounter leads from the open Observation to the Encounter; from the Encounter back, only _revinclude reaches Observations.
      const params = [['_id', `${hidden.id},${open.id}`], ['_include', 'Observation:encounter']] as const;
      const restricted = await services.search.search(tremblay(), 'Observation', params, { lenient: false, query: '' });
      expect(ids(restricted.matches)).toEqual([open.id]);
      expect(ids(restricted.includes)).toEqual([encounter.id]);
    });

    it('drop the restricted item from $everything and the compartment search', async () => {
      const everything = await services.search.everything(tremblay(), patient.id, [], { lenient: false, query: '' });
      expect(ids(everything.matches)).not.toContain(hidden.id);
      expect(ids(everything.matches)).toEqual(expect.arrayContaining([patient.id, encounter.id, open.id]));
      expect(ids((await services.search.everything(gagnon(), patient.id, [], { lenient: false, query: '' })).matches)).toContain(hidden.id);
      const compartment = await services.search.search(tremblay(), 'Observation', [], { lenient: false, query: '' }, patient.id);
      expect(ids(compartment.matches)).toEqual([open.id]);
    });

    it('drop the restricted item from the type history', async () => {
      const history = await services.reader.typeHistory(tremblay(), 'Observation', { count: 100 });
      expect(history.items.map((version) => version.id)).toContain(open.id);
      expect(history.items.map((version) => version.id)).not.toContain(hidden.id);
    });
  });

  describe('break-glass', () => {
    it('shows the restricted item, journals an emergency access with the reason and the Consent overridden, and raises an alert naming no patient', async () => {
      const warn = vi.spyOn(logger, 'warn');
      const ctx = tremblay({ breakGlassReason: reason });
      expect((await services.reader.read(ctx, 'Observation', hidden.id)).id).toBe(hidden.id);
      const [entry, ...others] = await journalOf(ctx);
      expect(others).toEqual([]);
      expect(entry).toMatchObject({ outcomeDesc: 'success', purposeOfEvent: [{ coding: [expect.objectContaining({ code: 'ETREAT' })], text: reason }] });
      expect(entry?.extension).toContainEqual({ url: 'urn:dsc:audit:overridden-restriction', valueReference: { reference: expect.stringMatching(/^Consent\//) as string } });
      expect(warn).toHaveBeenCalledWith(expect.any(String), { alert: 'break-glass', auditEvent: entry?.id, requestId: ctx.requestId });
      expect(JSON.stringify(warn.mock.calls)).not.toContain(patient.id);
      warn.mockRestore();
    });

    it('shows the restricted item in a search under break-glass', async () => {
      const result = await services.search.search(tremblay({ breakGlassReason: reason }), 'Observation', [], { lenient: false, query: '' }, patient.id);
      expect(ids(result.matches)).toEqual(ids([hidden, open]));
    });

    it('without a restriction to override is journaled with its reason, and raises no alert', async () => {
      const warn = vi.spyOn(logger, 'warn');
      const ctx = gagnon({ breakGlassReason: reason });
      await services.reader.read(ctx, 'Observation', open.id);
      const [entry] = await journalOf(ctx);
      expect(entry).toMatchObject({ purposeOfEvent: [{ coding: [expect.objectContaining({ code: 'ETREAT' })], text: reason }] });
      expect(entry?.extension?.map((extension) => extension.url)).not.toContain('urn:dsc:audit:overridden-restriction');
      expect(warn).not.toHaveBeenCalled();
      warn.mockRestore();
    });

    it('is refused to a role that may not read clinical data, with Forbidden, journaled', async () => {
      const ctx = { ...requestFor('clerk'), breakGlassReason: reason };
      expect(await rejection(services.reader.read(ctx, 'Patient', patient.id))).toBeInstanceOf(Forbidden);
      expect(await journalOf(ctx)).toEqual([expect.objectContaining({ outcomeDesc: 'denied', purposeOfEvent: [expect.objectContaining({ text: reason })] })]);
    });
  });

  it('reads each patient’s restrictions once per request: one compartment Query however many resources are screened', async () => {
    const ctx = tremblay();
    const compartment = vi.spyOn(services.store, 'compartment');
    await services.search.search(ctx, 'Observation', [['_id', `${hidden.id},${open.id}`], ['_include', 'Observation:encounter'], ['_total', 'accurate']], { lenient: false, query: '' });
    expect(compartment.mock.calls.filter(([, page]) => page.resourceType === 'Consent')).toHaveLength(1);
    compartment.mockRestore();
  });
});
