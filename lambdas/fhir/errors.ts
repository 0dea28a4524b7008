/**
 * Typed domain errors. Domain code throws them; one middleware maps each to its HTTP
 * status and a FHIR OperationOutcome, so handlers carry no try/catch ladders.
 */
export interface OutcomeIssue {
  readonly severity: 'fatal' | 'error' | 'warning' | 'information';
  /** FHIR issue-type code (http://hl7.org/fhir/issue-type). */
  readonly code: string;
  readonly diagnostics: string;
  /** FHIRPath of the offending element, when there is one. */
  readonly expression?: readonly string[];
}

export abstract class FhirError extends Error {
  abstract readonly status: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name; // esbuild keeps class names (keepNames), so logs say which error
  }
  abstract readonly issues: readonly OutcomeIssue[];
}

function singleIssue(code: string, diagnostics: string): OutcomeIssue[] {
  return [{ severity: 'error', code, diagnostics }];
}

export class Invalid extends FhirError {
  readonly status = 400;
  readonly issues: readonly OutcomeIssue[];
  constructor(issues: readonly OutcomeIssue[] | string) {
    const list = typeof issues === 'string' ? singleIssue('invalid', issues) : issues;
    super(list.map((issue) => issue.diagnostics).join('; '));
    this.issues = list;
  }
}

export class Unprocessable extends FhirError {
  readonly status = 422;
  readonly issues: readonly OutcomeIssue[];
  constructor(issues: readonly OutcomeIssue[]) {
    super(issues.map((issue) => issue.diagnostics).join('; '));
    this.issues = issues;
  }
}

abstract class SimpleFhirError extends FhirError {
  readonly issues: readonly OutcomeIssue[];
  constructor(code: string, diagnostics: string) {
    super(diagnostics);
    this.issues = singleIssue(code, diagnostics);
  }
}

export class Unauthenticated extends SimpleFhirError {
  readonly status = 401;
  constructor(diagnostics: string) {
    super('login', diagnostics);
  }
}

export class Forbidden extends SimpleFhirError {
  readonly status = 403;
  constructor(diagnostics: string) {
    super('forbidden', diagnostics);
  }
}

export class NotFound extends SimpleFhirError {
  readonly status = 404;
  constructor(diagnostics: string) {
    super('not-found', diagnostics);
  }
}

export class UnsupportedMediaType extends SimpleFhirError {
  readonly status = 415;
  constructor(diagnostics: string) {
    super('not-supported', diagnostics);
  }
}

export class VersionConflict extends SimpleFhirError {
  readonly status = 409;
  constructor(diagnostics: string) {
    super('conflict', diagnostics);
  }
}

export class ServiceUnavailable extends SimpleFhirError {
  readonly status = 503;
  constructor(diagnostics: string) {
    super('transient', diagnostics);
  }
}
