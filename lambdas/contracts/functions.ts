import type { TableName } from './tables';

/**
 * The Lambda functions, split by privilege rather than one per route: a compromised
 * read function cannot write. Each declares the table access it needs; the API stack
 * turns that into its IAM policy and the local runtime into its environment.
 */
export type TableAccess = 'read' | 'write' | 'append';

export interface FunctionDefinition {
  /** Construct id in the API stack. */
  readonly id: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly tableAccess: Partial<Record<TableName, TableAccess>>;
}

export const functions = {
  metadata: {
    id: 'MetadataFunction',
    entry: 'lambdas/handlers/metadata.ts',
    description: 'FHIR capabilities (GET /metadata); touches no data',
    tableAccess: {},
  },
  recordRead: {
    id: 'RecordReadFunction',
    entry: 'lambdas/handlers/record-read.ts',
    description: 'FHIR read interactions on the record',
    tableAccess: { record: 'read', audit: 'append' },
  },
  recordWrite: {
    id: 'RecordWriteFunction',
    entry: 'lambdas/handlers/record-write.ts',
    description: 'FHIR write interactions on the record',
    tableAccess: { record: 'write', audit: 'append' },
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof functions;

/**
 * DynamoDB actions per access kind. No Scan anywhere: request cost must grow with the
 * result, not the table. TransactWriteItems is authorised per contained action.
 */
export const tableActions: Record<TableAccess, readonly string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  write: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
  append: ['dynamodb:PutItem'],
};
