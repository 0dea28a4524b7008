/**
 * The DynamoDB tables, declared once. The CDK data stack and the local runtime
 * (DynamoDB Local) both create tables from these definitions, so they cannot drift.
 */
export type KeyAttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyAttributeType;
}

export interface TableDefinition {
  /** Construct id in the data stack. Changing it replaces the table: a test pins it. */
  readonly id: string;
  /** Environment variable through which a function learns the table's generated name. */
  readonly nameEnvVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** A change stream, for work that may lag the write (search index entries). */
  readonly stream?: 'NEW_IMAGE';
  /** Global secondary indexes: eventually consistent, each write to the table also writes them. */
  readonly globalIndexes?: readonly IndexDefinition[];
}

export interface IndexDefinition {
  /** The index name; Queries name it, and IAM authorises them on `<table arn>/index/<name>`. */
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Which attributes the index copies: only the keys, or every attribute. */
  readonly projection: 'KEYS_ONLY' | 'ALL';
}

/**
 * The record: every version of every resource (pk `<type>#<id>`, sk `v#<zero-padded version>`),
 * plus the index items that must be read-your-writes (identifiers, the patient compartment,
 * conditional-create guards), written in the same transaction as the version, and the search
 * index items that the index processor derives from the stream. `lambdas/store/keys.ts` has the
 * whole key design.
 */
export const recordTable = {
  id: 'RecordTable',
  nameEnvVar: 'RECORD_TABLE_NAME',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  stream: 'NEW_IMAGE',
} as const satisfies TableDefinition;

/**
 * The journal by agent (who acted), newest first, for the privacy officers' `GET /AuditEvent?agent=`.
 * Keys only: an entry is written on every access but the journal is read by agent rarely, so the
 * index keeps a ~100-byte copy of each entry rather than a second copy of the whole entry, and an
 * agent query reads the entries themselves from the table (BatchGetItem).
 */
export const auditAgentIndex = {
  name: 'agent',
  partitionKey: { name: 'agent', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  projection: 'KEYS_ONLY',
} as const satisfies IndexDefinition;

/** The access journal (LRSSS): append-only AuditEvents, pk `<subject reference>`, sk `<recorded>#<event id>`. */
export const auditTable = {
  id: 'AuditTable',
  nameEnvVar: 'AUDIT_TABLE_NAME',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  // Feeds the journal archiver: every change is copied to the Object-Locked archive bucket.
  stream: 'NEW_IMAGE',
  globalIndexes: [auditAgentIndex],
} as const satisfies TableDefinition;

export const tables = { record: recordTable, audit: auditTable } as const;
export type TableName = keyof typeof tables;
export const tableNames = Object.keys(tables) as TableName[];
