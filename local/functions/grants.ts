import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Table name → the DynamoDB actions the function's IAM policy allows on it (e.g. `dynamodb:Query`). */
export type Grants = Record<string, readonly string[]>;

/**
 * DynamoDB Local checks no IAM, so the local runtime checks the function's declared grants on
 * every call, with the same action names IAM uses: a handler that reaches beyond its policy fails
 * locally as it would deployed (AccessDeniedException).
 */
export function enforceGrants(client: DynamoDBDocumentClient, grants: Grants): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = ((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '');
      for (const [table, action] of actionsOf(command, args.input as Record<string, unknown>)) {
        if (!grants[table]?.includes(action)) {
          throw Object.assign(new Error(`${action} on ${table} is not granted to this function`), { name: 'AccessDeniedException' });
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'localGrantCheck' },
  );
}

/** The (table, IAM action) pairs a call needs; transactions are authorised per contained action, as in IAM. */
export function actionsOf(command: string, input: Record<string, unknown>): [string, string][] {
  if (command === 'TransactWriteItems' || command === 'TransactGetItems') {
    const kinds: Record<string, string> = { Put: 'PutItem', Delete: 'DeleteItem', Update: 'UpdateItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
    return ((input.TransactItems as Record<string, { TableName: string }>[] | undefined) ?? []).flatMap((item) =>
      Object.entries(item).map(([kind, action]): [string, string] => [action.TableName, `dynamodb:${kinds[kind] ?? kind}`]),
    );
  }
  if (command === 'BatchGetItem' || command === 'BatchWriteItem') {
    return Object.keys((input.RequestItems as Record<string, unknown> | undefined) ?? {}).map((table) => [table, `dynamodb:${command}`]);
  }
  return typeof input.TableName === 'string' ? [[input.TableName, `dynamodb:${command}`]] : [];
}

/**
 * cognito-local checks no IAM either: the staff admin function may call exactly the Cognito
 * actions its definition declares (`userPoolActions`), named as IAM names them.
 */
export function enforceUserPoolGrants(client: CognitoIdentityProviderClient, actions: readonly string[]): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const action = `cognito-idp:${((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '')}`;
      if (!actions.includes(action)) throw Object.assign(new Error(`${action} is not granted to this function`), { name: 'AccessDeniedException' });
      return next(args);
    },
    { step: 'initialize', name: 'localUserPoolGrantCheck' },
  );
}
