/**
 * The journal archive: every change of the access journal (the audit table), copied batch by batch
 * into an Object-Locked bucket, so a copy survives a table restore, a break-glass edit, or an
 * attacker with write access to the table. Knows nothing of Lambda or S3: the handler maps stream
 * records to `JournalChange`s, and an `ArchiveStore` puts objects.
 */

/** A DynamoDB attribute map as the stream delivers it (typed JSON: `{ "S": "…" }`, `{ "N": "…" }`). */
export type TypedItem = Readonly<Record<string, unknown>>;

/** One change of the journal, as archived: one NDJSON line. */
export interface JournalChange {
  readonly eventId: string;
  /** INSERT is a new entry. MODIFY and REMOVE only happen through the break-glass role: kept as evidence. */
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly sequenceNumber: string;
  /** When DynamoDB recorded the change, epoch seconds. */
  readonly approximateCreationDateTime: number;
  readonly keys: TypedItem;
  /** The item after the change (absent on REMOVE), in DynamoDB's typed JSON: lossless, and ready for PutItem on a restore. */
  readonly newImage?: TypedItem;
}

export interface ArchiveObject {
  readonly key: string;
  readonly body: string;
}

/** Puts one archive object. S3 in the deployment (`S3ArchiveStore`). */
export interface ArchiveStore {
  put(object: ArchiveObject): Promise<void>;
}

export const archiveContentType = 'application/x-ndjson';

const twoDigits = (value: number) => String(value).padStart(2, '0');

/**
 * The object for one batch: `journal/<yyyy>/<mm>/<dd>/<hh>/<first sequence number>.ndjson`, the hour
 * (UTC) and sequence number of the batch's first change. A retried batch starts with the same change,
 * so it gets the same key and the same bytes: under Object Lock the retry adds an identical version
 * beside the first, which stays locked; nothing is lost and nothing is duplicated under another key.
 */
export function archiveObjectOf(changes: readonly JournalChange[]): ArchiveObject | undefined {
  const [first] = changes;
  if (first === undefined) return undefined;
  const at = new Date(first.approximateCreationDateTime * 1000);
  if (Number.isNaN(at.getTime())) throw new Error(`journal change ${first.eventId} has no valid creation time`);
  const hourPrefix = `${at.getUTCFullYear()}/${twoDigits(at.getUTCMonth() + 1)}/${twoDigits(at.getUTCDate())}/${twoDigits(at.getUTCHours())}`;
  const body = changes.map((change) => `${JSON.stringify(lineOf(change))}\n`).join('');
  return { key: `journal/${hourPrefix}/${first.sequenceNumber}.ndjson`, body };
}

/** The archived line: fixed field order, so the same change always serializes to the same bytes. */
function lineOf(change: JournalChange) {
  return {
    eventId: change.eventId,
    eventName: change.eventName,
    sequenceNumber: change.sequenceNumber,
    approximateCreationDateTime: new Date(change.approximateCreationDateTime * 1000).toISOString(),
    keys: change.keys,
    newImage: change.newImage,
  };
}

/** Archives one batch as one object; an empty batch writes nothing. A failure propagates, so the batch is retried whole. */
export async function archiveJournalBatch(changes: readonly JournalChange[], store: ArchiveStore): Promise<ArchiveObject | undefined> {
  const object = archiveObjectOf(changes);
  if (object) await store.put(object);
  return object;
}
