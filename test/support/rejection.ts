import type { FhirError } from '../../lambdas/fhir/errors';

/**
 * The error a promise rejects with, typed as the domain's FhirError for reading its status and
 * issues (assert `toBeInstanceOf` where the class matters); fails the test if it resolves.
 */
export async function rejection(promise: Promise<unknown>): Promise<FhirError> {
  try {
    await promise;
  } catch (error) {
    return error as FhirError;
  }
  throw new Error('expected the promise to reject');
}
