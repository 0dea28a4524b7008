import type { OutcomeIssue } from './errors';

/** An R4 OperationOutcome (@types/fhir) built from our issues. */
export function operationOutcome(issues: readonly OutcomeIssue[]): fhir4.OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues.map((issue) => ({ ...issue, expression: issue.expression ? [...issue.expression] : undefined })) };
}
