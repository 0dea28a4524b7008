import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/handlers/pre-token-generation';

/** A V2_0 event as Cognito sends it for an API sign-in (USER_AUTH), trimmed to what matters. */
function event(groups: string[] | undefined): PreTokenGenerationV2TriggerEvent {
  return {
    version: '2',
    triggerSource: 'TokenGeneration_Authentication',
    region: 'ca-central-1',
    userPoolId: 'ca-central-1_Example',
    userName: 'f00-sub',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'web-client' },
    request: {
      userAttributes: { sub: 'f00-sub', email: 'marc.gagnon@ciusss.example', email_verified: 'true', 'custom:practitioner': 'Practitioner/p-42' },
      groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [], preferredRole: undefined },
      scopes: ['aws.cognito.signin.user.admin'],
    },
    response: { claimsAndScopeOverrideDetails: {} },
  };
}

describe('pre-token-generation trigger', () => {
  it("answers with the access token's scopes and claims for the user's groups", async () => {
    const result = await handler(event(['physician']));
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: {
        scopesToAdd: ['dsc-fhir/fhir.read', 'dsc-fhir/fhir.write'],
        scopesToSuppress: ['aws.cognito.signin.user.admin', 'dsc-fhir/audit.read', 'dsc-fhir/staff.admin'],
        claimsToAddOrOverride: { email: 'marc.gagnon@ciusss.example', practitioner: 'Practitioner/p-42' },
      },
    });
  });

  it('returns the rest of the event unchanged, as Cognito expects', async () => {
    const input = event(['clerk']);
    const result = await handler(input);
    expect({ ...result, response: input.response }).toEqual(input);
  });

  it('grants no API scope to a user in no group', async () => {
    const result = await handler(event(undefined));
    expect(result.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.scopesToAdd).toEqual([]);
  });
});
