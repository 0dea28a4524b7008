import type { AuditEvent } from '../audit/audit-event';
import { NotFound } from '../fhir/errors';
import type { AccessRecorder } from '../record/access-recorder';
import type { RequestContext } from '../record/request-context';
import { journalSearchOf, patientJournalOf, type JournalPage, type JournalReader } from './journal-query';

/** The journal's own resource type: who may read it is the role matrix's `journal` category. */
const journalType = 'AuditEvent';

/**
 * The access journal, read by privacy officers (LRSSS: a person may learn who accessed their
 * file). Reading it is an access to the people it concerns, so it is authorised and journaled
 * like any other: denials under the patient asked about, readings under each patient concerned.
 */
export class JournalService {
  constructor(
    private readonly reader: JournalReader,
    private readonly access: AccessRecorder,
  ) {}

  /** `GET /AuditEvent?…`: one page of the journal, by patient (or other subject), by agent, or both. */
  async search(ctx: RequestContext, params: readonly (readonly [string, string])[], queryText: string): Promise<JournalPage> {
    await this.access.authorize(ctx, 'read', journalType, 'search-type', deniedSubjectOf(params), queryText);
    const query = journalSearchOf(params);
    const page = await this.reader.page(query);
    // By agent alone, a page spans many people: each of them gets an entry.
    const subjects = query.subject !== undefined ? [query.subject] : [...new Set(page.events.map(subjectOf).filter((subject) => subject.startsWith('Patient/')))];
    await this.access.record(ctx, 'search-type', subjects.map((subject) => ({ reference: subject, compartments: [subject] })), 'success', journalType, queryText);
    return page;
  }

  /** `GET /Patient/{id}/$access-report`: who accessed the patient's file, when, how and why, newest first. */
  async accessReport(ctx: RequestContext, type: string, id: string, params: readonly (readonly [string, string])[], queryText: string): Promise<JournalPage> {
    if (type !== 'Patient') throw new NotFound(`$access-report is a Patient operation: use Patient/[id]/$access-report, not ${type.slice(0, 64)}`);
    const query = patientJournalOf(id, params);
    const patient = query.subject ?? `Patient/${id}`;
    await this.access.authorize(ctx, 'read', journalType, 'instance-operation', patient, queryText);
    const page = await this.reader.page(query);
    await this.access.record(ctx, 'instance-operation', [], 'success', patient, queryText);
    return page;
  }
}

/** The person an entry is about: its first entity, as the journal keys it. */
export function subjectOf(event: AuditEvent): string {
  const what = event.entity?.[0]?.what;
  return what?.reference ?? what?.display ?? '';
}

/** Where a refused search is journaled: under the patient (or other subject) it asked about, else under the journal itself. */
function deniedSubjectOf(params: readonly (readonly [string, string])[]): string {
  for (const [name, value] of params) {
    if (name === 'patient' && /^(Patient\/)?[A-Za-z0-9\-.]{1,64}$/.test(value)) return value.startsWith('Patient/') ? value : `Patient/${value}`;
    if (name === 'entity' && value.length > 0 && value.length <= 256) return value;
  }
  return journalType;
}
