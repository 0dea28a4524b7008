import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccessJournal } from '../audit/access-journal';
import { DynamoDbAccessJournal } from '../audit/dynamodb-access-journal';
import { AccessRecorder, type ConsentSource } from '../record/access-recorder';
import { JournalService } from './journal-service';

/**
 * Patient restrictions (Consent) govern the record, not the journal about it nor staff accounts:
 * the journal and staff functions have no access to the record table at all.
 */
const noRestrictions: ConsentSource = {
  compartment: () => Promise.resolve({ items: [] }),
  readVersions: () => Promise.resolve([]),
};

/** The access checks and journaling of a function that holds no patient record. */
export function recorderWithoutRecord(journal: AccessJournal, now?: () => Date): AccessRecorder {
  return new AccessRecorder(journal, noRestrictions, now);
}

/** The journal function's composition root: the journal table serves both the reading and the journaling of it. */
export function journalService(client: DynamoDBDocumentClient, auditTableName: string, now?: () => Date): JournalService {
  const journal = new DynamoDbAccessJournal(client, auditTableName);
  return new JournalService(journal, recorderWithoutRecord(journal, now));
}
