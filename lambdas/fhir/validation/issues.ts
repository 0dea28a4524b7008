import type { IssueType, OutcomeIssue } from '../errors';
import type { GeneratedError } from './generated/fhir-r4';

/**
 * Turns the generated validator's errors into OperationOutcome issues: one per problem, each
 * naming the offending element with a FHIRPath expression (`Patient.name[0].family`), worded for
 * a client, and never quoting the submitted value (it may be health data, or 200 KB of it).
 */

/** The most issues one resource reports: enough to fix it, not a second copy of a hostile body. */
export const maxIssues = 20;

/** A JSON Pointer (`/name/0/_given/1`) → FHIRPath (`Patient.name[0].given[1]`). */
export function fhirPath(resourceType: string, instancePath: string): string {
  let expression = resourceType;
  if (instancePath === '') return expression;
  for (const raw of instancePath.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    // Array indexes only: no FHIR element is named with digits alone.
    if (/^(?:0|[1-9][0-9]*)$/.test(segment)) expression += `[${segment}]`;
    // `_x` holds the id and extensions of primitive `x`: FHIRPath reaches them through `x`.
    else expression = child(expression, segment.startsWith('_') ? segment.slice(1) : segment);
  }
  return expression;
}

/** A submitted element name as shown back: cut to 64 characters, control characters masked. */
function shown(name: string): string {
  return (name.length > 64 ? `${name.slice(0, 64)}…` : name).replace(/[\u0000-\u001F\u007F]/g, '?');
}

/** `parent.name`, with a name that is not a FHIRPath identifier delimited (`` parent.`my-name` ``). */
function child(parent: string, name: string): string {
  const short = shown(name);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(short) ? `${parent}.${short}` : `${parent}.\`${short.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
}

const jsonTypes: Record<string, string> = {
  string: 'a JSON string',
  number: 'a JSON number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a JSON array',
  null: 'null',
};

function describeType(type: unknown): string {
  const names = String(type).split(',').filter((name) => name !== 'null');
  return names.map((name) => jsonTypes[name] ?? name).join(' or ');
}

function listCodes(values: unknown): string {
  const codes = Array.isArray(values) ? values.filter((value): value is string => typeof value === 'string') : [];
  if (codes.length === 0) return '';
  const shown = codes.slice(0, 12).join(', ');
  return codes.length > 12 ? ` (one of ${shown}… ${codes.length} codes)` : ` (one of ${shown})`;
}

function issue(code: IssueType, expression: string, diagnostics: string): OutcomeIssue {
  return { severity: 'error', code, diagnostics, expression: [expression] };
}

/** One issue for one error, or undefined for an error that only repeats another. */
function toIssue(resourceType: string, error: GeneratedError): OutcomeIssue | undefined {
  const { params } = error;
  const at = fhirPath(resourceType, error.instancePath);
  switch (error.keyword) {
    case 'fhirElements':
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      return issue('structure', child(at, name), `Unknown element '${shown(name)}': R4 does not define it here`);
    }
    case 'fhirRequired': {
      const element = String(params.element);
      return issue('required', child(at, element), params.choice ? `Missing required element ${element}[x] (one of its types must be present)` : `Missing required element '${element}'`);
    }
    case 'required':
      return issue('required', child(at, String(params.missingProperty)), `Missing required element '${String(params.missingProperty)}'`);
    case 'type':
      return issue('structure', at, `Must be ${describeType(params.type)}`);
    case 'fhirCode':
    case 'enum':
      return issue('value', at, `Not a code R4 allows here${listCodes(params.allowedValues)}`);
    case 'const':
      return issue('value', at, `Must be '${String(params.allowedValue)}'`);
    case 'fhirPrimitive': {
      const type = params.type === 'absoluteUri' ? 'uri' : String(params.type);
      return issue('value', at, `Invalid ${type}: ${String(params.reason)}`);
    }
    case 'minimum':
    case 'maximum':
      return issue('value', at, `Out of range: must be ${String(params.comparison)} ${String(params.limit)}`);
    case 'minItems':
      return issue('structure', at, params.limit === 1 ? 'Arrays must not be empty: leave the element out instead' : `Needs at least ${String(params.limit)} items`);
    case 'minProperties':
      return issue('structure', at, 'Objects must not be empty: leave the element out instead');
    case 'fhirPrimitiveArrays': {
      const element = String(params.element);
      return issue('structure', `${child(at, element)}[${String(params.index)}]`, `'${element}' and '_${element}' must be arrays of the same length, with a value or an extension at each index`);
    }
    case 'discriminator':
      // A missing resourceType is already reported by `required`.
      if (params.tagValue === undefined) return undefined;
      return typeof params.tagValue === 'string'
        ? issue('structure', child(at, 'resourceType'), `Unknown resource type${/^[A-Za-z]{1,64}$/.test(params.tagValue) ? ` '${params.tagValue}'` : ''}`)
        : issue('structure', child(at, 'resourceType'), 'Must be a JSON string');
    default:
      return issue('structure', at, `Invalid element (${error.keyword})`);
  }
}

/** The issues for a list of errors: deduplicated, in order, at most maxIssues. */
export function toIssues(resourceType: string, errors: readonly GeneratedError[]): OutcomeIssue[] {
  const seen = new Set<string>();
  const issues: OutcomeIssue[] = [];
  for (const error of errors) {
    const found = toIssue(resourceType, error);
    if (!found) continue;
    const key = `${found.code}\u0000${found.expression?.[0] ?? ''}\u0000${found.diagnostics}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(found);
  }
  if (issues.length <= maxIssues) return issues;
  return [...issues.slice(0, maxIssues - 1), issue('structure', resourceType, `${issues.length - maxIssues + 1} more problems not listed`)];
}
