import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { customizeAccessToken } from '../access/token-customization';

/**
 * Cognito pre-token-generation trigger (V2_0 event): gives staff access tokens the scopes their
 * roles grant and the email and Practitioner claims. It logs nothing: the event carries the email.
 */
export function handler(event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> {
  const accessTokenGeneration = customizeAccessToken({ groups: event.request.groupConfiguration.groupsToOverride ?? [], userAttributes: event.request.userAttributes });
  return Promise.resolve({ ...event, response: { claimsAndScopeOverrideDetails: { accessTokenGeneration } } });
}
