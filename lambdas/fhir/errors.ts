/**
 * Typed domain errors. Domain code throws them; one middleware maps each to its HTTP
 * status and a FHIR OperationOutcome, so handlers carry no try/catch ladders.
 */
export type IssueType = fhir4.OperationOutcomeIssue['code'];

export interface OutcomeIssue {
  readonly severity: 'fatal' | 'error' | 'warning' | 'information';
  /** FHIR issue-type code (http://hl7.org/fhir/issue-type). */
  readonly code: IssueType;
  readonly diagnostics: string;
  /** FHIRPath of the offending element, when there is one. */
  readonly expression?: readonly string[];
}

export abstract class FhirError extends Error {
  abstract readonly status: number;
  /** Extra response headers (Allow, Retry-After…). */
  readonly headers?: Readonly<Record<string, string>>;

  /** `name` says which error in logs; it is given explicitly because bundles are minified. */
  constructor(
    name: string,
    readonly issues: readonly OutcomeIssue[],
  ) {
    super(issues.map((issue) => issue.diagnostics).join('; '));
    this.name = name;
  }
}

/** A FHIR error class with a fixed status and issue code, built from one diagnostics line. */
function fhirError(name: string, status: number, code: IssueType) {
  return class extends FhirError {
    readonly status = status;
    constructor(diagnostics: string) {
      super(name, [{ severity: 'error', code, diagnostics }]);
    }
  };
}

/** Bad input: one issue per problem found, or a single diagnostics line. */
export class Invalid extends FhirError {
  readonly status = 400;
  constructor(issues: readonly OutcomeIssue[] | string) {
    super('Invalid', typeof issues === 'string' ? [{ severity: 'error', code: 'invalid', diagnostics: issues }] : issues);
  }
}

export class Unauthenticated extends fhirError('Unauthenticated', 401, 'login') {}
export class Forbidden extends fhirError('Forbidden', 403, 'forbidden') {}
export class NotFound extends fhirError('NotFound', 404, 'not-found') {}
export class NotAcceptable extends fhirError('NotAcceptable', 406, 'not-supported') {}
export class VersionConflict extends fhirError('VersionConflict', 409, 'conflict') {}
/** A resource that existed and was deleted (R4: read of a deleted resource is 410). */
export class Gone extends fhirError('Gone', 410, 'deleted') {}
/** A stale If-Match, or conditional criteria matching several resources. */
export class PreconditionFailed extends fhirError('PreconditionFailed', 412, 'conflict') {}
export class PayloadTooLarge extends fhirError('PayloadTooLarge', 413, 'too-long') {}
export class UnsupportedMediaType extends fhirError('UnsupportedMediaType', 415, 'not-supported') {}
/** Valid FHIR that breaks a business rule (e.g. a patch whose result is invalid). */
export class Unprocessable extends FhirError {
  readonly status = 422;
  constructor(issues: readonly OutcomeIssue[] | string) {
    super('Unprocessable', typeof issues === 'string' ? [{ severity: 'error', code: 'processing', diagnostics: issues }] : issues);
  }
}
/** A capability the server has but the backing service (an emulator, locally) does not provide. */
export class NotImplemented extends fhirError('NotImplemented', 501, 'not-supported') {}
export class ServiceUnavailable extends fhirError('ServiceUnavailable', 503, 'transient') {}

export class MethodNotAllowed extends FhirError {
  readonly status = 405;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(method: string, allowed: readonly string[]) {
    super('MethodNotAllowed', [{ severity: 'error', code: 'not-supported', diagnostics: `${method} is not supported here; use ${allowed.join(', ')}` }]);
    this.headers = { Allow: allowed.join(', ') };
  }
}
