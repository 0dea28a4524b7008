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
}

/** Every version of every resource: pk `<type>#<id>`, sk `v#<zero-padded version>`. */
export const recordTable = {
  id: 'RecordTable',
  nameEnvVar: 'RECORD_TABLE_NAME',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
} as const satisfies TableDefinition;

/** The access journal (LRSSS): append-only AuditEvents, pk `<subject reference>`, sk `<recorded>#<event id>`. */
export const auditTable = {
  id: 'AuditTable',
  nameEnvVar: 'AUDIT_TABLE_NAME',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
} as const satisfies TableDefinition;

export const tables = { record: recordTable, audit: auditTable } as const;
export type TableName = keyof typeof tables;
