import type { TestProject } from 'vitest/node';
import { Children } from '../../local/children';
import { endpointOf, startDynamoDbLocal } from '../../local/dynamodb';
import { freePort } from '../../local/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
  }
}

/** One in-memory DynamoDB Local for the integration project, on a free port. */
export default async function setup(project: TestProject) {
  const children = new Children((message) => console.error(`integration tests: ${message}`));
  const port = await freePort();
  await startDynamoDbLocal(children, { port });
  project.provide('dynamoDbEndpoint', endpointOf(port));
  return () => children.stopAll();
}
