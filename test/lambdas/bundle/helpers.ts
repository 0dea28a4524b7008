import { expect } from 'vitest';
import { Invalid, type OutcomeIssue } from '../../../lambdas/fhir/errors';

/** The issues of the Invalid that `action` throws; fails the test when it throws nothing or something else. */
export function invalidIssues(action: () => unknown): readonly OutcomeIssue[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(Invalid);
    return (error as Invalid).issues;
  }
  throw new Error('expected Invalid, but nothing was thrown');
}

/** Ids `id-1`, `id-2`… in the order asked. */
export function sequentialIds(prefix = 'id'): () => string {
  let next = 0;
  return () => `${prefix}-${++next}`;
}

export function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

export const uuid = (n: number): string => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
