import { isResourceType, type ResourceType } from '../fhir/registry/registry';
import { dataCategories, dataCategoryOf, type DataCategory } from './categories';
import type { Principal } from './principal';
import { isRole, type Role } from './roles';

/**
 * LRSSS patient restrictions, recorded as FHIR R4 Consent resources: a person may keep a named
 * intervener, or a category of interveners, from information they choose. Each `deny` provision
 * of an active Consent, at any depth, is one restriction (docs/access-control.md shows the shape).
 * An element this server cannot interpret never narrows a restriction: it is read as absent.
 */
export const dataCategorySystem = 'https://dsc.ciusss.example/fhir/CodeSystem/data-category';
export const staffRoleSystem = 'https://dsc.ciusss.example/fhir/CodeSystem/staff-role';
export const resourceTypeSystem = 'http://hl7.org/fhir/resource-types';

export interface Restriction {
  /** The Consent recording it, `Consent/<id>`. */
  readonly consent: string;
  /** Whom it keeps out; absent: everyone. */
  readonly actors?: { readonly practitioners: readonly string[]; readonly roles: readonly Role[] };
  /** Specific resources (`Type/id`); absent: any. */
  readonly references?: readonly string[];
  /** Resource types and data categories; absent: any. */
  readonly classes?: { readonly types: readonly ResourceType[]; readonly categories: readonly DataCategory[] };
  /** When it applies, as epoch milliseconds, end exclusive; absent bounds are open. */
  readonly from?: number;
  readonly until?: number;
}

/** The resource a decision concerns. */
export interface ResourceRef {
  readonly type: ResourceType;
  readonly id?: string;
}

type Json = Record<string, unknown>;

/** The restrictions an R4 Consent records: none unless it is active. */
export function restrictionsOf(consent: Json): Restriction[] {
  if (consent.status !== 'active' || typeof consent.id !== 'string') return [];
  const found: Restriction[] = [];
  const walk = (provision: unknown, inherited: Pick<Restriction, 'from' | 'until'>) => {
    if (!isObject(provision)) return;
    const period = periodOf(provision.period) ?? inherited;
    if (provision.type === 'deny') {
      found.push({ consent: `Consent/${consent.id as string}`, ...actorsOf(provision.actor), ...referencesOf(provision.data), ...classesOf(provision.class), ...period });
    }
    for (const nested of arrayOf(provision.provision)) walk(nested, period);
  };
  walk(consent.provision, {});
  return found;
}

/** Whether the restriction keeps this principal from this resource at this instant. */
export function restrictionCovers(restriction: Restriction, principal: Principal, resource: ResourceRef, at: Date): boolean {
  const time = at.getTime();
  if ((restriction.from !== undefined && time < restriction.from) || (restriction.until !== undefined && time >= restriction.until)) return false;
  const { actors, references, classes } = restriction;
  const namesPrincipal =
    !actors || (principal.practitioner !== undefined && actors.practitioners.includes(principal.practitioner)) || actors.roles.some((role) => principal.roles.includes(role));
  if (!namesPrincipal) return false;
  if (references && (resource.id === undefined || !references.includes(`${resource.type}/${resource.id}`))) return false;
  return !classes || classes.types.includes(resource.type) || classes.categories.includes(dataCategoryOf(resource.type));
}

function actorsOf(value: unknown): Pick<Restriction, 'actors'> {
  const practitioners: string[] = [];
  const roles: Role[] = [];
  for (const actor of arrayOf(value)) {
    const practitioner = referenceIn(isObject(actor) ? actor.reference : undefined, /^Practitioner$/);
    if (practitioner) practitioners.push(practitioner);
    else for (const coding of codingsOf(isObject(actor) ? actor.role : undefined)) if ((coding.system ?? staffRoleSystem) === staffRoleSystem && isRole(coding.code)) roles.push(coding.code);
  }
  return practitioners.length + roles.length > 0 ? { actors: { practitioners, roles } } : {};
}

function referencesOf(value: unknown): Pick<Restriction, 'references'> {
  const references = arrayOf(value).flatMap((data) => referenceIn(isObject(data) ? data.reference : undefined, /^[A-Z][A-Za-z]+$/) ?? []);
  return references.length > 0 ? { references } : {};
}

function classesOf(value: unknown): Pick<Restriction, 'classes'> {
  const types: ResourceType[] = [];
  const categories: DataCategory[] = [];
  for (const coding of arrayOf(value).filter(isObject)) {
    const code = typeof coding.code === 'string' ? coding.code : '';
    if (coding.system === resourceTypeSystem && isResourceType(code)) types.push(code);
    else if (coding.system === dataCategorySystem && (dataCategories as readonly string[]).includes(code)) categories.push(code as DataCategory);
  }
  return types.length + categories.length > 0 ? { classes: { types, categories } } : {};
}

/** `Type/id` of a Reference, relative or absolute, when its type matches. */
function referenceIn(reference: unknown, type: RegExp): string | undefined {
  if (!isObject(reference) || typeof reference.reference !== 'string') return undefined;
  const match = /(?:^|\/)([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(reference.reference);
  return match?.[1] && match[2] && type.test(match[1]) ? `${match[1]}/${match[2]}` : undefined;
}

function codingsOf(concept: unknown): { system?: string; code: string }[] {
  if (!isObject(concept)) return [];
  return arrayOf(concept.coding).flatMap((coding) =>
    isObject(coding) && typeof coding.code === 'string' ? [{ code: coding.code, ...(typeof coding.system === 'string' ? { system: coding.system } : {}) }] : [],
  );
}

function periodOf(value: unknown): Pick<Restriction, 'from' | 'until'> | undefined {
  if (!isObject(value)) return undefined;
  const from = typeof value.start === 'string' ? Date.parse(value.start) : NaN;
  const until = typeof value.end === 'string' ? endOf(value.end) : NaN;
  if (Number.isNaN(from) && Number.isNaN(until)) return undefined;
  return { ...(Number.isNaN(from) ? {} : { from }), ...(Number.isNaN(until) ? {} : { until }) };
}

/** A FHIR period end is inclusive at its precision: `2026-04` runs to the end of April. */
function endOf(value: string): number {
  const partial = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(value);
  if (!partial) return Date.parse(value);
  const [year, month, day] = [Number(partial[1]), partial[2] ? Number(partial[2]) : undefined, partial[3] ? Number(partial[3]) : undefined];
  if (month === undefined) return Date.UTC(year + 1, 0, 1);
  if (day === undefined) return Date.UTC(year, month, 1);
  return Date.UTC(year, month - 1, day + 1);
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
