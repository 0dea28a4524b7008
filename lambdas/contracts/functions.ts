import { allowedClientIdsEnvVar } from './auth';
import { buckets, type BucketAccess, type BucketName } from './buckets';
import { corsAllowedOriginsEnvVar } from './cors';
import { tables, type TableName } from './tables';

/**
 * The Lambda functions, split by privilege rather than one per route: a compromised read
 * function cannot write, and only the write function bundles the validator. Each declares the
 * table access and the settings it needs; `environmentFor` turns that into its environment and
 * the API stack into its IAM policy, and the local runtime gives each function exactly that
 * environment and enforces the same table actions, so a missing grant fails locally too.
 */
export type TableAccess = 'read' | 'write' | 'append' | 'index' | 'journal';
export type Setting = 'allowedClientIds' | 'corsAllowedOrigins' | 'userPoolId';

export interface FunctionDefinition {
  /** Construct id in the API stack. */
  readonly id: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly tableAccess: Partial<Record<TableName, TableAccess>>;
  /** The S3 buckets it uses (buckets.ts), by the same rule: its environment names them, its IAM follows. */
  readonly bucketAccess?: Partial<Record<BucketName, BucketAccess>>;
  readonly settings: readonly Setting[];
  /** The Cognito API actions it may call on the staff user pool, and no others. */
  readonly userPoolActions?: readonly string[];
  /**
   * What invokes it: API Gateway routes, the record or audit table's change stream, the user pool
   * (auth stack), or the API access log's subscription filter (asynchronously, the gateway's refusals).
   */
  readonly trigger: 'api' | 'record-stream' | 'audit-stream' | 'user-pool' | 'api-access-log';
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
    // Binary content: inline reads and short-lived download URLs.
    bucketAccess: { attachments: 'read' },
    settings: ['allowedClientIds', 'corsAllowedOrigins'],
    trigger: 'api',
  },
  recordWrite: {
    id: 'RecordWriteFunction',
    entry: 'lambdas/handlers/record-write.ts',
    description: 'FHIR create, update, patch and delete on the record',
    tableAccess: { record: 'write', audit: 'append' },
    // Binary content and large attachments: puts, upload URLs, and reading an upload back to hash it.
    bucketAccess: { attachments: 'write' },
    settings: ['allowedClientIds', 'corsAllowedOrigins'],
    trigger: 'api',
  },
  journal: {
    id: 'JournalFunction',
    entry: 'lambdas/handlers/journal-read.ts',
    description: 'The access journal for privacy officers: AuditEvent search and the patient access report',
    tableAccess: { audit: 'journal' },
    settings: ['allowedClientIds', 'corsAllowedOrigins'],
    trigger: 'api',
  },
  staffAdmin: {
    id: 'StaffAdminFunction',
    entry: 'lambdas/handlers/staff-admin.ts',
    description: 'Staff account administration for user administrators (Cognito), every action journaled',
    tableAccess: { audit: 'append' },
    settings: ['allowedClientIds', 'corsAllowedOrigins', 'userPoolId'],
    // No AdminDeleteUser: accounts are disabled, never deleted, so the journal keeps naming someone.
    userPoolActions: [
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminGetUser',
      'cognito-idp:ListUsers',
      'cognito-idp:AdminListGroupsForUser',
      'cognito-idp:AdminAddUserToGroup',
      'cognito-idp:AdminRemoveUserFromGroup',
      'cognito-idp:AdminUpdateUserAttributes',
      'cognito-idp:AdminDeleteUserAttributes',
      'cognito-idp:AdminDisableUser',
      'cognito-idp:AdminEnableUser',
      'cognito-idp:AdminUserGlobalSignOut',
    ],
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
  journalArchiver: {
    id: 'JournalArchiverFunction',
    entry: 'lambdas/handlers/journal-archiver.ts',
    description: 'Copies each batch of access journal changes (audit table stream) to the Object-Locked archive bucket',
    // The stream is its only input (granted with the trigger); it reads no table and writes only the archive bucket.
    tableAccess: {},
    settings: [],
    trigger: 'audit-stream',
  },
  gatewayRefusalJournal: {
    id: 'GatewayRefusalJournalFunction',
    entry: 'lambdas/handlers/gateway-refusal-journal.ts',
    description: 'Journals the refusals API Gateway makes before any function runs (401, scope 403), from the API access log',
    // Append only: it adds entries and reads nothing, not even the journal.
    tableAccess: { audit: 'append' },
    settings: [],
    trigger: 'api-access-log',
  },
} as const satisfies Record<string, FunctionDefinition>;

/** Cognito's pre-token-generation trigger: deployed with the user pool in the auth stack, not behind the API. */
export const preTokenGeneration = {
  id: 'PreTokenGenerationFunction',
  entry: 'lambdas/handlers/pre-token-generation.ts',
  description: 'Staff access tokens: the API scopes of the roles, no Cognito sign-in scope, email and Practitioner claims',
  tableAccess: {},
  settings: [],
  trigger: 'user-pool',
} as const satisfies FunctionDefinition;

/** The journal archive bucket's name, given to the journal archiver with its trigger (not a setting: the local stack has no archive). */
export const journalArchiveBucketEnvVar = 'JOURNAL_ARCHIVE_BUCKET';

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
  // Reading the journal (by person, or by agent through the keys-only index and then the entries), and journaling that reading.
  journal: ['dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'],
};

/** The values a deployment (or the local runtime) supplies; tokens in CDK, real values locally. */
export interface DeploymentValues {
  readonly tableNames: Readonly<Record<TableName, string>>;
  readonly bucketNames: Readonly<Record<BucketName, string>>;
  readonly allowedClientIds: readonly string[];
  readonly corsAllowedOrigins: readonly string[];
  readonly userPoolId: string;
}

/** Environment variable naming the staff user pool the admin function manages. */
export const userPoolIdEnvVar = 'USER_POOL_ID';

const settingEnv: Record<Setting, { readonly name: string; readonly value: (values: DeploymentValues) => string }> = {
  allowedClientIds: { name: allowedClientIdsEnvVar, value: (values) => values.allowedClientIds.join(',') },
  corsAllowedOrigins: { name: corsAllowedOriginsEnvVar, value: (values) => values.corsAllowedOrigins.join(',') },
  userPoolId: { name: userPoolIdEnvVar, value: (values) => values.userPoolId },
};

/** The environment of one function: exactly the table names, bucket names and settings it declares. */
export function environmentFor(definition: FunctionDefinition, values: DeploymentValues): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const table of Object.keys(definition.tableAccess) as TableName[]) environment[tables[table].nameEnvVar] = values.tableNames[table];
  for (const bucket of Object.keys(definition.bucketAccess ?? {}) as BucketName[]) environment[buckets[bucket].nameEnvVar] = values.bucketNames[bucket];
  for (const setting of definition.settings) environment[settingEnv[setting].name] = settingEnv[setting].value(values);
  return environment;
}
