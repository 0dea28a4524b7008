import type { AuditEvent } from '../audit/audit-event';
import { Invalid } from '../fhir/errors';
import { parseSearchDate } from '../search/dates';

/**
 * Which part of the access journal to read: one subject's entries (a patient's, or a staff
 * account's), one agent's, or one agent's under one subject. Every reading is a Query on a key:
 * the journal is never scanned. Newest first.
 */
export interface JournalQuery {
  /** The person the entries are about, as the journal keys them: `Patient/<id>`, or `urn:dsc:staff:<sub>` for a staff account. */
  readonly subject?: string;
  /** The Cognito `sub` of who acted (`AuditEvent.agent.who.identifier`). */
  readonly agent?: string;
  /** Inclusive bounds on `AuditEvent.recorded`, as ISO 8601 UTC instants. */
  readonly from?: string;
  readonly to?: string;
  readonly count: number;
  readonly cursor?: string;
}

export interface JournalPage {
  readonly events: readonly AuditEvent[];
  /** Where the next page starts, when there may be one. */
  readonly cursor?: string;
}

/** The reading side of the journal; the DynamoDB journal implements it beside its append. */
export interface JournalReader {
  page(query: JournalQuery): Promise<JournalPage>;
}

export const defaultCount = 50;
export const maxCount = 200;

/** The system of `AuditEvent.agent.who.identifier`, accepted as a token prefix of `agent`. */
const subSystem = 'urn:dsc:cognito:sub';
const idPattern = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * `GET /AuditEvent`'s parameters: `patient` (`Patient/<id>` or `<id>`), `entity` (any journal
 * subject), `agent` (a Cognito sub, optionally as `urn:dsc:cognito:sub|<sub>`), `date` (repeatable,
 * with `eq`, `ge`, `gt`, `le`, `lt`), `_count` and `_cursor`. A subject or an agent is required.
 */
export function journalSearchOf(params: readonly (readonly [string, string])[]): JournalQuery {
  let subject: string | undefined;
  let agent: string | undefined;
  const rest: [string, string][] = [];
  for (const [name, value] of params) {
    if (name === 'patient' || name === 'entity') {
      if (subject !== undefined) throw new Invalid('Give one patient (or entity) per search');
      subject = name === 'patient' ? patientReference(value) : nonEmpty(name, value);
    } else if (name === 'agent') {
      if (agent !== undefined) throw new Invalid('Give one agent per search');
      agent = nonEmpty(name, value.startsWith(`${subSystem}|`) ? value.slice(subSystem.length + 1) : value);
    } else {
      rest.push([name, value]);
    }
  }
  if (subject === undefined && agent === undefined) {
    throw new Invalid('Search the journal by patient (or entity), by agent, or both: reading the whole journal is not supported');
  }
  return { ...(subject === undefined ? {} : { subject }), ...(agent === undefined ? {} : { agent }), ...pagingOf(rest) };
}

/** The journal of one patient, for `$access-report`: `date`, `_count` and `_cursor` only. */
export function patientJournalOf(patientId: string, params: readonly (readonly [string, string])[]): JournalQuery {
  return { subject: patientReference(patientId), ...pagingOf(params) };
}

function pagingOf(params: readonly (readonly [string, string])[]): Omit<JournalQuery, 'subject' | 'agent'> {
  let from: string | undefined;
  let to: string | undefined;
  let count = defaultCount;
  let cursor: string | undefined;
  for (const [name, value] of params) {
    if (name === 'date') {
      const bounds = dateBounds(value);
      if (bounds.from !== undefined && (from === undefined || bounds.from > from)) from = bounds.from;
      if (bounds.to !== undefined && (to === undefined || bounds.to < to)) to = bounds.to;
    } else if (name === '_count') {
      if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > maxCount) throw new Invalid(`_count must be a whole number from 1 to ${maxCount}`);
      count = Number(value);
    } else if (name === '_cursor') {
      cursor = value;
    } else {
      throw new Invalid(`The journal does not support the parameter ${name.slice(0, 40)}; use patient, entity, agent, date, _count`);
    }
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), count, ...(cursor === undefined ? {} : { cursor }) };
}

/** A `date` value as inclusive instant bounds (R4 search.html#prefix): `2026-03` with `ge` starts at the month's first instant. */
function dateBounds(value: string): { from?: string; to?: string } {
  const prefix = /^[a-z]{2}/.exec(value)?.[0] ?? 'eq';
  if (!['eq', 'ge', 'gt', 'le', 'lt'].includes(prefix)) throw new Invalid(`The journal's date supports the prefixes eq, ge, gt, le and lt, not ${prefix}`);
  const parsed = parseSearchDate(/^[a-z]{2}/.test(value) ? value.slice(2) : value);
  if (!parsed) throw new Invalid(`date=${value.slice(0, 40)} is not a FHIR date`);
  const { start, end } = parsed.range;
  const shift = (instant: string, ms: number) => new Date(Date.parse(instant) + ms).toISOString();
  switch (prefix) {
    case 'ge':
      return { from: start };
    case 'gt':
      return { from: shift(end, 1) };
    case 'le':
      return { to: end };
    case 'lt':
      return { to: shift(start, -1) };
    default:
      return { from: start, to: end };
  }
}

function patientReference(value: string): string {
  const id = value.startsWith('Patient/') ? value.slice('Patient/'.length) : value;
  if (!idPattern.test(id)) throw new Invalid('patient must be Patient/[id] or [id]');
  return `Patient/${id}`;
}

function nonEmpty(name: string, value: string): string {
  if (value.trim() === '' || value.length > 256) throw new Invalid(`${name} must not be empty`);
  return value;
}
