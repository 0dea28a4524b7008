/**
 * The R4 registry for the read path: resource types, search parameter types and targets, the
 * Patient compartment and categories, all generated from HL7's official definitions (see
 * `scripts/generate-registry.ts`). It deliberately never imports the FHIRPath expressions, which
 * only the write path needs (`./search-expressions`).
 */
import categories from './generated/categories.json';
import compartmentSearch from './generated/compartment-search.json';
import patientCompartment from './generated/patient-compartment.json';
import searchParameters from './generated/search-parameters.json';
import { resourceTypes, type ResourceType } from './generated/resource-types';
import { decodeSearchParameters, everyType, type SearchParamType } from './search-parameter-text';

export { resourceTypes, type ResourceType } from './generated/resource-types';
export type { SearchParamType } from './search-parameter-text';

export interface SearchParameterInfo {
  readonly code: string;
  readonly type: SearchParamType;
  readonly target?: readonly ResourceType[];
  /**
   * `false` when the write path stores no values for this parameter, so a search on it cannot be
   * answered: composite and special parameters, and `_text`, `_content`, `_query`, which R4
   * defines without an expression. Absent otherwise.
   */
  readonly extracted?: false;
}

/** The compact form written by the generator; see `./search-parameter-text`. */
interface CompactSearchParameters {
  /** The parameters of every type (`_id`, `_lastUpdated`…). */
  readonly resource: string;
  /** The parameters of every type but `notDomainResources` (`_text`). */
  readonly domainResource: string;
  readonly notDomainResources: readonly string[];
  /** Reference target lists, comma-separated; `*` for every type. */
  readonly targets: readonly string[];
  /** Each type's own parameters. */
  readonly types: Readonly<Record<string, string>>;
}

const knownTypes: ReadonlySet<string> = new Set(resourceTypes);
const compact: CompactSearchParameters = searchParameters;
const notDomainResources: ReadonlySet<string> = new Set(compact.notDomainResources);
const compartmentParams = patientCompartment as Readonly<Record<string, readonly string[]>>;
const compartmentSearchByType = compartmentSearch as Readonly<Record<string, readonly string[]>>;
const categoryByType = categories as Readonly<Record<string, string>>;
const targetLists = new Map<number, readonly ResourceType[]>();
const sharedParameters = new Map<string, readonly SearchParameterInfo[]>();
const parametersByType = new Map<ResourceType, ReadonlyMap<string, SearchParameterInfo>>();

export function isResourceType(name: string): name is ResourceType {
  return knownTypes.has(name);
}

function targetList(index: number): readonly ResourceType[] {
  let target = targetLists.get(index);
  if (!target) {
    const text = compact.targets[index];
    if (text === undefined) throw new Error(`No target list ${index} in the search parameter registry`);
    target = Object.freeze(text === everyType ? [...resourceTypes] : (text.split(',') as ResourceType[]));
    targetLists.set(index, target);
  }
  return target;
}

function decode(text: string): readonly SearchParameterInfo[] {
  return decodeSearchParameters(text).map(({ code, type, targets, extracted }) =>
    Object.freeze({ code, type, ...(targets === undefined ? {} : { target: targetList(targets) }), ...(extracted === false ? { extracted } : {}) }),
  );
}

/** The Resource- or DomainResource-level parameters, decoded once for all the types that share them. */
function shared(level: 'resource' | 'domainResource'): readonly SearchParameterInfo[] {
  let parameters = sharedParameters.get(level);
  if (!parameters) {
    parameters = decode(compact[level]);
    sharedParameters.set(level, parameters);
  }
  return parameters;
}

function parametersOf(type: ResourceType): ReadonlyMap<string, SearchParameterInfo> {
  let byCode = parametersByType.get(type);
  if (!byCode) {
    const own = Object.hasOwn(compact.types, type) ? compact.types[type] : undefined;
    const parameters = own === undefined ? [] : [...shared('resource'), ...(notDomainResources.has(type) ? [] : shared('domainResource')), ...decode(own)];
    byCode = new Map(parameters.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)).map((info) => [info.code, info]));
    parametersByType.set(type, byCode);
  }
  return byCode;
}
/** The parameter `code` of `type`, including the Resource-level ones (`_id`, `_lastUpdated`…). */
export function searchParameter(type: ResourceType, code: string): SearchParameterInfo | undefined {
  return parametersOf(type).get(code);
}

/** Every search parameter of `type`, sorted by code, including the Resource-level ones. */
export function searchParametersOf(type: ResourceType): readonly SearchParameterInfo[] {
  return [...parametersOf(type).values()];
}

/** The Patient CompartmentDefinition's parameters for `type`; [] when the type is not in the compartment. */
export function patientCompartmentParams(type: ResourceType): readonly string[] {
  return compartmentParams[type] ?? [];
}

/** The type's category in the FHIR specification, e.g. 'Clinical.Summary', 'Base.Individuals'. */
export function categoryOf(type: ResourceType): string {
  const category = categoryByType[type];
  if (category === undefined) throw new Error(`No category for ${type}`);
  return category;
}

/**
 * The reference parameters of `type` whose matches on a Patient always lie in that patient's
 * compartment (the compartment's own, and those reading the same elements, such as
 * Observation's `patient`): searches on them are answered from the compartment.
 */
export function compartmentSearchParams(type: ResourceType): readonly string[] {
  return compartmentSearchByType[type] ?? [];
}
