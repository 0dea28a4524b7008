/**
 * Write path: extracts a resource's search values with HL7's FHIRPath engine and the official R4
 * SearchParameter expressions (see lambdas/fhir/registry). Each (type, parameter) expression is
 * compiled once, on first use.
 */
import fhirpath, { type UserInvocationTable } from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { splitTopLevelUnion } from '../fhir/registry/fhirpath-text';
import { isResourceType, searchParametersOf, type ResourceType, type SearchParamType } from '../fhir/registry/registry';
import { searchExpression } from '../fhir/registry/search-expressions';
import { convert } from './extract/convert';
import type { SearchValue, SearchValues } from './search-values';

export interface ExtractOptions {
  /**
   * The type of the resource a reference points to when its text does not say (`urn:uuid:…` in a
   * transaction Bundle before the server assigns ids). Used by `resolve() is Patient` filters.
   */
  readonly referenceType?: (reference: string) => string | undefined;
  /** Called when a parameter's evaluation throws; the parameter is skipped either way. */
  readonly onError?: (code: string, error: unknown) => void;
  /** Called when a value's FHIR type cannot be represented by the parameter's type (e.g. a Range for a quantity). */
  readonly onUnsupported?: (code: string, fhirType: string) => void;
}

type Evaluator = (resource: Record<string, unknown>, env?: Record<string, unknown>) => unknown[];

interface CompiledParameter {
  readonly code: string;
  readonly type: SearchParamType;
  /** One evaluator per top-level union branch: fhirpath.js's `|` throws on Quantities with a comparator. */
  readonly branches: readonly Evaluator[];
}

interface ResourceNodeLike {
  /** Absent on an input without a prototype; the input may also be null or undefined. */
  readonly constructor?: { makeResNode?: (ctx: unknown, data: unknown, parent: null, path: null, _data: null, type: null) => unknown };
}

/** The current extraction's options, read by the `resolve()` replacement (extraction is synchronous). */
let currentOptions: ExtractOptions = {};

/** The resource type a reference names: `Patient/1`, `Patient/1/_history/2`, `https://x/fhir/Patient/1`; else Reference.type or the caller's resolver. */
function referencedType(data: unknown): string | undefined {
  let reference: string | undefined;
  let declared: string | undefined;
  if (typeof data === 'string') reference = data;
  else if (typeof data === 'object' && data !== null) {
    const value = data as { reference?: unknown; type?: unknown };
    if (typeof value.reference === 'string') reference = value.reference;
    if (typeof value.type === 'string') declared = value.type;
  }
  if (reference === undefined || reference.startsWith('#')) return undefined;
  const named = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[^/]+)?$/.exec(reference)?.[1];
  const type = named ?? declared ?? currentOptions.referenceType?.(reference);
  return type !== undefined && isResourceType(type) ? type : undefined;
}

/**
 * A synchronous `resolve()`: fhirpath.js only resolves asynchronously, over HTTP. Search
 * expressions use it only to test the target's type (`where(resolve() is Patient)`), so a stub
 * resource of the type read from the reference is enough. `is` only sees a type on fhirpath.js's
 * internal ResourceNode, which the package does not export: the stub is made with the class of
 * the input node (`internalStructures` hands us nodes) and the evaluation context (`this`).
 */
function resolveStub(this: unknown, inputs: unknown[]): unknown[] {
  return inputs.flatMap((input) => {
    const node = input as ResourceNodeLike | null | undefined;
    const data = typeof input === 'object' && input !== null && 'data' in input ? input.data : input;
    const type = referencedType(data);
    const makeResNode = node?.constructor?.makeResNode;
    return type !== undefined && typeof makeResNode === 'function' ? [makeResNode(this, { resourceType: type }, null, null, null, null)] : [];
  });
}

const compileOptions: { async: false; resolveInternalTypes: false; userInvocationTable: UserInvocationTable } = {
  async: false,
  resolveInternalTypes: false,
  userInvocationTable: { resolve: { fn: resolveStub, arity: { 0: [] }, internalStructures: true } },
};

const compiled = new Map<ResourceType, readonly CompiledParameter[]>();

function compiledParametersOf(type: ResourceType): readonly CompiledParameter[] {
  let parameters = compiled.get(type);
  if (!parameters) {
    parameters = searchParametersOf(type).flatMap((info) => {
      const expression = info.extracted === false ? undefined : searchExpression(type, info.code);
      if (expression === undefined) return [];
      let branches: Evaluator[] | undefined;
      const parameter: CompiledParameter = {
        code: info.code,
        type: info.type,
        get branches() {
          branches ??= splitTopLevelUnion(expression).map(
            (branch) => fhirpath.compile(branch, r4Model, compileOptions) as unknown as Evaluator,
          );
          return branches;
        },
      };
      return [parameter];
    });
    compiled.set(type, parameters);
  }
  return parameters;
}

function valuesOf(parameter: CompiledParameter, resource: Record<string, unknown>, options: ExtractOptions): SearchValue[] {
  const values: SearchValue[] = [];
  const seen = new Set<string>();
  for (const evaluate of parameter.branches) {
    const nodes = evaluate(resource);
    const types = fhirpath.types(nodes);
    const plain = fhirpath.resolveInternalTypes(nodes) as unknown[];
    plain.forEach((value, index) => {
      const conversion = convert(parameter.type, types[index] ?? 'System.Any', value);
      if ('unsupported' in conversion) {
        options.onUnsupported?.(parameter.code, conversion.unsupported);
        return;
      }
      for (const converted of conversion.values) {
        const key = JSON.stringify(converted);
        if (!seen.has(key)) {
          seen.add(key);
          values.push(converted);
        }
      }
    });
  }
  return values;
}

/**
 * The search values of every extractable parameter of the resource's type (all but composite,
 * special, `_text`, `_content` and `_query`), keyed by code. Parameters without values are left
 * out. Never throws for a resource of a known type: a parameter whose evaluation fails is skipped
 * (and reported to `onError`). Returns {} for an unknown resourceType.
 */
export function extractSearchValues(resource: Record<string, unknown>, options: ExtractOptions = {}): SearchValues {
  const type = resource.resourceType;
  if (typeof type !== 'string' || !isResourceType(type)) return {};
  const result: Record<string, readonly SearchValue[]> = {};
  const previous = currentOptions;
  currentOptions = options;
  try {
    for (const parameter of compiledParametersOf(type)) {
      try {
        const values = valuesOf(parameter, resource, options);
        if (values.length > 0) result[parameter.code] = values;
      } catch (error) {
        options.onError?.(parameter.code, error);
      }
    }
  } finally {
    currentOptions = previous;
  }
  return result;
}
