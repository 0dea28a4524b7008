import { describe, expect, it } from 'vitest';
import { environmentFor, functionNames, functions, tableActions, type DeploymentValues, type FunctionDefinition, type TableAccess } from '../../../lambdas/contracts/functions';

const values: DeploymentValues = {
  tableNames: { record: 'dsc-record-abc', audit: 'dsc-audit-def' },
  bucketNames: { attachments: 'dsc-attachments-ghi' },
  allowedClientIds: ['web-client', 'loader-client'],
  corsAllowedOrigins: ['https://app.example.org', 'https://admin.example.org'],
  userPoolId: 'ca-central-1_Staff',
};

const clientIds = 'web-client,loader-client';
const origins = 'https://app.example.org,https://admin.example.org';

describe('environmentFor', () => {
  it('gives the metadata function its CORS origins and no table', () => {
    expect(environmentFor(functions.metadata, values)).toEqual({ CORS_ALLOWED_ORIGINS: origins });
  });

  it.each(['recordRead', 'recordWrite'] as const)('gives %s the record and audit tables, the attachments bucket, the client ids and the CORS origins, and nothing else', (name) => {
    expect(environmentFor(functions[name], values)).toEqual({
      RECORD_TABLE_NAME: 'dsc-record-abc',
      AUDIT_TABLE_NAME: 'dsc-audit-def',
      ATTACHMENTS_BUCKET_NAME: 'dsc-attachments-ghi',
      ALLOWED_CLIENT_IDS: clientIds,
      CORS_ALLOWED_ORIGINS: origins,
    });
  });

  it('gives the journal function the audit table but not the record, and the staff admin function the user pool too', () => {
    expect(environmentFor(functions.journal, values)).toEqual({ AUDIT_TABLE_NAME: 'dsc-audit-def', ALLOWED_CLIENT_IDS: clientIds, CORS_ALLOWED_ORIGINS: origins });
    expect(environmentFor(functions.staffAdmin, values)).toEqual({ AUDIT_TABLE_NAME: 'dsc-audit-def', ALLOWED_CLIENT_IDS: clientIds, CORS_ALLOWED_ORIGINS: origins, USER_POOL_ID: 'ca-central-1_Staff' });
  });

  it('gives the search indexer only the record table name', () => {
    expect(environmentFor(functions.searchIndexer, values)).toEqual({ RECORD_TABLE_NAME: 'dsc-record-abc' });
  });

  it('covers every function, each only with what it declares', () => {
    expect([...functionNames].sort()).toEqual(['gatewayRefusalJournal', 'journal', 'journalArchiver', 'metadata', 'recordRead', 'recordWrite', 'searchIndexer', 'staffAdmin']);
    const tableVariable = { record: 'RECORD_TABLE_NAME', audit: 'AUDIT_TABLE_NAME' } as const;
    const settingVariable = { allowedClientIds: 'ALLOWED_CLIENT_IDS', corsAllowedOrigins: 'CORS_ALLOWED_ORIGINS', userPoolId: 'USER_POOL_ID' } as const;
    for (const name of functionNames) {
      const definition = functions[name];
      const declared = [
        ...Object.keys(definition.tableAccess).map((table) => tableVariable[table as keyof typeof tableVariable]),
        ...Object.keys((definition as FunctionDefinition).bucketAccess ?? {}).map(() => 'ATTACHMENTS_BUCKET_NAME'),
        ...definition.settings.map((setting) => settingVariable[setting]),
      ];
      expect(Object.keys(environmentFor(definition, values)).sort(), name).toEqual(declared.sort());
    }
  });
});

describe('the table access of the functions', () => {
  it('lets the metadata function touch no table, and the search indexer only the record table', () => {
    expect(functions.metadata.tableAccess).toEqual({});
    expect(functions.searchIndexer.tableAccess).toEqual({ record: 'index' });
  });

  it('keeps the journal append-only: functions only append to the audit table, and the journal function reads it by Query besides', () => {
    for (const name of functionNames) {
      const access = (functions[name].tableAccess as Partial<Record<string, TableAccess>>).audit;
      if (access !== undefined) expect(access, name).toBe(name === 'journal' ? 'journal' : 'append');
    }
    expect(functions.journal.tableAccess).toEqual({ audit: 'journal' });
    expect(functions.staffAdmin.tableAccess).toEqual({ audit: 'append' });
    expect(functions.recordRead.tableAccess).toEqual({ record: 'read', audit: 'append' });
    expect(functions.recordWrite.tableAccess).toEqual({ record: 'write', audit: 'append' });
  });
});

describe('tableActions', () => {
  const kinds = Object.keys(tableActions) as TableAccess[];

  it('never grants Scan (nor a wildcard or PartiQL, which could scan)', () => {
    for (const kind of kinds) {
      for (const action of tableActions[kind]) {
        expect(action, kind).toMatch(/^dynamodb:[A-Za-z]+$/);
        expect(action, kind).not.toMatch(/Scan|\*|PartiQL|ExecuteStatement/);
      }
    }
  });

  it('lets only write and index delete', () => {
    expect(kinds.filter((kind) => tableActions[kind].includes('dynamodb:DeleteItem')).sort()).toEqual(['index', 'write']);
  });

  it('makes append a bare PutItem', () => {
    expect(tableActions.append).toEqual(['dynamodb:PutItem']);
  });

  it('lets the journal access read by Query and key and append, but neither update nor delete', () => {
    expect([...tableActions.journal].sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
  });

  it('lets read only read', () => {
    expect([...tableActions.read].sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
  });

  it('never grants UpdateItem: versions are new items, never changed in place', () => {
    for (const kind of kinds) expect(tableActions[kind], kind).not.toContain('dynamodb:UpdateItem');
  });
});
