import type { AccessJournal } from '../../lambdas/audit/access-journal';
import type { AuditEvent } from '../../lambdas/audit/audit-event';
import { VersionConflict } from '../../lambdas/fhir/errors';
import type { JournalEntry, RecordStore, StoredResource } from '../../lambdas/store/record-store';

/** Port doubles for domain unit tests; the DynamoDB adapters are tested against DynamoDB Local. */
export class InMemoryJournal implements AccessJournal {
  readonly entries: { event: AuditEvent; patient: string }[] = [];
  failWith?: Error;

  async append(event: AuditEvent, patient: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.entries.push({ event, patient });
  }
}

export class InMemoryStore implements RecordStore {
  readonly resources = new Map<string, StoredResource>();

  constructor(private readonly journal: InMemoryJournal) {}

  async create(resource: StoredResource, journal: JournalEntry): Promise<void> {
    const key = `${resource.resourceType}/${resource.id}`;
    if (this.resources.has(key)) throw new VersionConflict(`${key} exists`);
    this.resources.set(key, structuredClone(resource));
    this.journal.entries.push(journal);
  }

  async readCurrent(resourceType: string, id: string): Promise<StoredResource | undefined> {
    return structuredClone(this.resources.get(`${resourceType}/${id}`));
  }
}
