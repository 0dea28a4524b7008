import type { AuditEvent } from './audit-event';
import { auditTable } from '../contracts/tables';

/** The access journal port: append-only, so it has no update or delete. */
export interface AccessJournal {
  append(event: AuditEvent, patient: string): Promise<void>;
}

/** The audit table item for an event, kept per person so their journal is one Query. */
export function journalItem(event: AuditEvent, patient: string): Record<string, unknown> {
  return {
    [auditTable.partitionKey.name]: patient,
    [auditTable.sortKey.name]: `${event.recorded}#${event.id}`,
    event: JSON.stringify(event),
  };
}

/** Never overwrite an entry: the condition turns an id collision into an error, not a lost record. */
export const journalPutCondition = `attribute_not_exists(${auditTable.partitionKey.name})`;
