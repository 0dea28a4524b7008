import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { tables } from '../../lambdas/contracts/tables';
import type { ResourceType } from '../../lambdas/fhir/registry/registry';
import { validateResource } from '../../lambdas/fhir/validation';
import { writeServices } from '../../lambdas/record/compose-write';
import type { RequestContext } from '../../lambdas/record/request-context';
import { createTableInput, ensureTables, localCredentials } from '../../local/dynamodb';
import { CallMeter, meterSdkV3 } from './call-meter';
import { KnownItems, tableSchemaOf } from './capacity-rules';
import type { PersistenceUnderTest } from './persistence-under-test';

/**
 * A request by a physician, the role the bench's HTTP figures sign in with. A new context per
 * call, as each API request has: the access recorder keeps a patient's restrictions for the
 * length of one request context, and one context shared by every call would skip their lookup.
 */
function physicianRequest(): RequestContext {
  return {
    principal: { kind: 'staff', sub: 'dsc-bench-peer', username: 'bench/peer-fwoa.ts', clientId: 'dsc-bench', roles: ['physician'], scopes: [] },
    requestId: randomUUID(),
    sourceIp: '127.0.0.1',
    userAgent: 'dsc-bench-peer',
  };
}

/**
 * DSC's domain services, in-process, on a metered client of the same DynamoDB Local: the
 * composition root the write and read handlers use (validation, the access policy, the
 * journal entry written with the change), minus Lambda and HTTP, as FWoA's persistence
 * layer is measured without its router. Creates the tables if they are missing.
 */
export async function oursPersistence(options: { endpoint: string; region: string }): Promise<PersistenceUnderTest> {
  const client = new DynamoDBClient({ endpoint: options.endpoint, region: options.region, credentials: localCredentials });
  const tableNames = await ensureTables(client);
  const schemas = Object.fromEntries(Object.values(tables).map((definition) => {
    const input = createTableInput(definition);
    return [input.TableName, tableSchemaOf(input)];
  }));
  const meter = new CallMeter(new KnownItems(schemas));
  meterSdkV3(client, meter);
  // The same options as the handlers' client (lambdas/platform/dynamodb.ts).
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const { writer, reader } = writeServices(documents, tableNames, validateResource);
  return {
    meter,
    async create(resource) {
      return (await writer.create(physicianRequest(), resource.resourceType as ResourceType, () => resource)).version.id;
    },
    async read(resourceType, id) {
      await reader.read(physicianRequest(), resourceType as ResourceType, id);
    },
    async update(resource) {
      await writer.update(physicianRequest(), resource.resourceType as ResourceType, String(resource.id), () => resource);
    },
  };
}
