import { allowedClientIdsEnvVar } from './auth';
import { corsAllowedOriginsEnvVar } from './cors';
import { tables, type TableName } from './tables';

/**
 * The Lambda functions, split by privilege rather than one per route: a compromised read
 * function cannot write, and only the write function bundles the validator. Each declares the
 * table access and the settings it needs; `environmentFor` turns that into its environment and
 * the API stack into its IAM policy, and the local runtime gives each function exactly that
 * environment and enforces the same table actions, so a missing grant fails locally too.
 */
export type TableAccess = 'read' | 'write' | 'append' | 'index';
export type Setting = 'allowedClientIds' | 'corsAllowedOrigins';

export interface FunctionDefinition {
  /** Construct id in the API stack. */
  readonly id: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly tableAccess: Partial<Record<TableName, TableAccess>>;
  readonly settings: readonly Setting[];
  /** What invokes it: API Gateway routes, or the record table's change stream. */
  readonly trigger: 'api' | 'record-stream';
}

export const functions = {
  metadata: {
    id: 'MetadataFunction',
    entry: 'lambdas/handlers/metadata.ts',
    description: 'FHIR capabilities (GET /metadata); touches no data',
    tableAccess: {},
    settings: ['corsAllowedOrigins'],
    trigger: 'api',
  },
  recordRead: {
    id: 'RecordReadFunction',
    entry: 'lambdas/handlers/record-read.ts',
    description: 'FHIR read, vread, history, search and $everything on the record',
    tableAccess: { record: 'read', audit: 'append' },
    settings: ['allowedClientIds', 'corsAllowedOrigins'],
    trigger: 'api',
  },
  recordWrite: {
    id: 'RecordWriteFunction',
    entry: 'lambdas/handlers/record-write.ts',
    description: 'FHIR create, update, patch and delete on the record',
    tableAccess: { record: 'write', audit: 'append' },
    settings: ['allowedClientIds', 'corsAllowedOrigins'],
    trigger: 'api',
  },
  searchIndexer: {
    id: 'SearchIndexerFunction',
    entry: 'lambdas/handlers/search-indexer.ts',
    description: 'Derives search index items from new record versions (record table stream)',
    tableAccess: { record: 'index' },
    settings: [],
    trigger: 'record-stream',
  },
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof functions;
export const functionNames = Object.keys(functions) as FunctionName[];

/**
 * DynamoDB actions per access kind. No Scan anywhere: request cost must grow with the result,
 * not the table. TransactWriteItems is authorised per contained action. Only the index
 * processor and the write function delete, and only on the record table: the journal is
 * append-only.
 */
export const tableActions: Record<TableAccess, readonly string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  write: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  append: ['dynamodb:PutItem'],
  index: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
};

/** The values a deployment (or the local runtime) supplies; tokens in CDK, real values locally. */
export interface DeploymentValues {
  readonly tableNames: Readonly<Record<TableName, string>>;
  readonly allowedClientIds: readonly string[];
  readonly corsAllowedOrigins: readonly string[];
}

const settingEnv: Record<Setting, { readonly name: string; readonly value: (values: DeploymentValues) => string }> = {
  allowedClientIds: { name: allowedClientIdsEnvVar, value: (values) => values.allowedClientIds.join(',') },
  corsAllowedOrigins: { name: corsAllowedOriginsEnvVar, value: (values) => values.corsAllowedOrigins.join(',') },
};

/** The environment of one function: exactly the table names and settings it declares. */
export function environmentFor(definition: FunctionDefinition, values: DeploymentValues): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const table of Object.keys(definition.tableAccess) as TableName[]) environment[tables[table].nameEnvVar] = values.tableNames[table];
  for (const setting of definition.settings) environment[settingEnv[setting].name] = settingEnv[setting].value(values);
  return environment;
}
