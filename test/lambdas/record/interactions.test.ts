import { beforeEach, describe, expect, it } from 'vitest';
import { Forbidden, Invalid, NotFound } from '../../../lambdas/fhir/errors';
import { validateResource } from '../../../lambdas/fhir/validation';
import { RecordInteractions } from '../../../lambdas/record/interactions';
import { InMemoryJournal, InMemoryStore } from '../../support/in-memory-ports';
import { contextFor } from '../../support/principals';

const now = new Date('2026-11-25T12:00:00.000Z');

describe('RecordInteractions', () => {
  let journal: InMemoryJournal;
  let store: InMemoryStore;
  let record: RecordInteractions;

  beforeEach(() => {
    journal = new InMemoryJournal();
    store = new InMemoryStore(journal);
    record = new RecordInteractions({ store, journal, validate: validateResource, now: () => now, newId: () => 'new-id' });
  });

  describe('create', () => {
    it('assigns the id, version 1 and lastUpdated, ignoring a client-sent id and keeping other meta', async () => {
      const created = await record.create(contextFor('nurse'), 'Patient', () => ({
        resourceType: 'Patient',
        id: 'client-chosen',
        meta: { versionId: '99', tag: [{ code: 'x' }] },
        gender: 'female',
      }));
      expect(created).toEqual({
        resourceType: 'Patient',
        id: 'new-id',
        meta: { versionId: '1', lastUpdated: now.toISOString(), tag: [{ code: 'x' }] },
        gender: 'female',
      });
      expect(await store.readCurrent('Patient', 'new-id')).toEqual(created);
    });

    it('journals a successful create against the new patient', async () => {
      await record.create(contextFor('clerk'), 'Patient', () => ({ resourceType: 'Patient' }));
      expect(journal.entries).toHaveLength(1);
      expect(journal.entries[0].patient).toBe('Patient/new-id');
      expect(journal.entries[0].event).toMatchObject({ action: 'C', outcome: '0', recorded: now.toISOString() });
    });

    it('rejects a body whose resourceType differs from the URL, writing nothing', async () => {
      await expect(record.create(contextFor('physician'), 'Patient', () => ({ resourceType: 'Observation' }))).rejects.toBeInstanceOf(Invalid);
      expect(store.resources.size).toBe(0);
    });

    it('rejects a structurally invalid resource with one issue per problem, writing nothing', async () => {
      const attempt = record.create(contextFor('physician'), 'Patient', () => ({ resourceType: 'Patient', gender: 'sometimes', birthDate: 'yesterday' }));
      await expect(attempt).rejects.toBeInstanceOf(Invalid);
      const error = (await attempt.catch((e: unknown) => e)) as Invalid;
      expect(error.issues.map((issue) => issue.expression?.[0]).sort()).toEqual(['Patient.birthDate', 'Patient.gender']);
      expect(store.resources.size).toBe(0);
    });

    it('denies a role without create rights before reading the body, and journals the denial', async () => {
      let bodyRead = false;
      const attempt = record.create(contextFor('user-admin'), 'Patient', () => {
        bodyRead = true;
        return { resourceType: 'Patient' };
      });
      await expect(attempt).rejects.toBeInstanceOf(Forbidden);
      expect(bodyRead).toBe(false);
      expect(journal.entries.map((entry) => entry.event.outcomeDesc)).toEqual(['denied']);
    });
  });

  describe('read', () => {
    beforeEach(async () => {
      await record.create(contextFor('clerk'), 'Patient', () => ({ resourceType: 'Patient', gender: 'male' }));
      journal.entries.length = 0;
    });

    it('returns the stored resource and journals the access with who and from where', async () => {
      const resource = await record.read(contextFor('nurse'), 'Patient', 'new-id');
      expect(resource).toMatchObject({ id: 'new-id', gender: 'male' });
      expect(journal.entries).toHaveLength(1);
      const event = journal.entries[0].event as Record<string, any>;
      expect(event).toMatchObject({ action: 'R', outcome: '0', entity: [{ what: { reference: 'Patient/new-id' } }] });
      expect(event.agent[0]).toMatchObject({ who: { identifier: { value: 'sub-nurse' } }, network: { address: '10.1.2.3' } });
    });

    it('answers NotFound for an unknown id and still journals the attempt', async () => {
      await expect(record.read(contextFor('nurse'), 'Patient', 'missing')).rejects.toBeInstanceOf(NotFound);
      expect(journal.entries.map((entry) => entry.event.outcomeDesc)).toEqual(['not-found']);
    });

    it('denies the user administrator any patient data (separation of duties) and journals it', async () => {
      await expect(record.read(contextFor('user-admin'), 'Patient', 'new-id')).rejects.toBeInstanceOf(Forbidden);
      expect(journal.entries.map((entry) => [entry.patient, entry.event.outcomeDesc])).toEqual([['Patient/new-id', 'denied']]);
    });

    it('denies a caller with no recognised role', async () => {
      await expect(record.read(contextFor(), 'Patient', 'new-id')).rejects.toBeInstanceOf(Forbidden);
    });

    it('returns nothing when the journal cannot record the access', async () => {
      journal.failWith = new Error('journal unavailable');
      await expect(record.read(contextFor('nurse'), 'Patient', 'new-id')).rejects.toThrow('journal unavailable');
    });

    it('rejects an id that FHIR does not allow', async () => {
      await expect(record.read(contextFor('nurse'), 'Patient', 'bad id!')).rejects.toBeInstanceOf(Invalid);
    });
  });
});
