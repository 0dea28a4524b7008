import type { AuditEvent } from '../audit/audit-event';
import { pageUrl } from '../fhir/bundle';
import type { JournalPage } from './journal-query';

type Params = readonly (readonly [string, string])[];

/**
 * The journal's Bundles. Entries are addressed as `urn:uuid:<id>`: the journal is kept per
 * person, so an AuditEvent has no URL of its own to read it by (GET /AuditEvent/{id} is a 404).
 */

/** `GET /AuditEvent`: a searchset, newest first, with a `next` link while there may be more. */
export function journalSearchset(baseUrl: string, params: Params, page: JournalPage) {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link: links(baseUrl, '/AuditEvent', params, page),
    ...entries(page.events.map((event) => ({ fullUrl: `urn:uuid:${event.id}`, resource: event, search: { mode: 'match' } }))),
  };
}

/**
 * `Patient/{id}/$access-report`: a collection of the patient's AuditEvents, newest first, each
 * with a one-line narrative a person can read (who, when, what, outcome, why, break-glass).
 */
export function accessReportBundle(baseUrl: string, patient: string, params: Params, page: JournalPage, timestamp: Date) {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: timestamp.toISOString(),
    link: links(baseUrl, `/${patient}/$access-report`, params, page),
    ...entries(page.events.map((event) => ({ fullUrl: `urn:uuid:${event.id}`, resource: { ...event, text: { status: 'generated', div: narrativeOf(event) } } }))),
  };
}

/** One access as a sentence, from the AuditEvent's standard elements. */
export function accessSummary(event: AuditEvent): string {
  const agent = event.agent[0];
  const who = agent?.who?.display ?? agent?.who?.identifier?.value ?? 'unknown';
  const roles = (agent?.role ?? []).flatMap((role) => role.coding?.map((coding) => coding.code ?? '') ?? []).filter(Boolean);
  const client = agent?.policy?.[0]?.replace(/^urn:dsc:client:/, '');
  const details = [roles.join(', '), agent?.who?.reference, client && `client ${client}`].filter(Boolean).join('; ');
  const what = (event.entity ?? []).slice(1).flatMap((entity) => (entity.what?.reference ? [entity.what.reference] : []));
  const purpose = event.purposeOfEvent?.[0];
  const why = purpose?.coding?.[0]?.code;
  const breakGlass = purpose?.text === undefined ? '' : ` — break-glass: ${purpose.text}`;
  return `${event.recorded} — ${who}${details ? ` (${details})` : ''} — ${event.subtype?.[0]?.code ?? event.action ?? ''}${what.length ? ` ${what.join(', ')}` : ''} — ${event.outcomeDesc ?? event.outcome ?? ''}${why ? ` — purpose ${why}` : ''}${breakGlass}`;
}

function narrativeOf(event: AuditEvent): string {
  return `<div xmlns="http://www.w3.org/1999/xhtml"><p>${escapeXml(accessSummary(event))}</p></div>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function links(baseUrl: string, path: string, params: Params, page: JournalPage) {
  return [
    { relation: 'self', url: pageUrl(baseUrl, path, params, params.find(([name]) => name === '_cursor')?.[1]) },
    ...(page.cursor ? [{ relation: 'next', url: pageUrl(baseUrl, path, params, page.cursor) }] : []),
  ];
}

function entries<T>(list: readonly T[]) {
  return list.length > 0 ? { entry: list } : {};
}
