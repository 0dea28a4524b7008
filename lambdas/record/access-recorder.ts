import { decide } from '../access/policy';
import type { AccessKind } from '../access/roles';
import type { AccessJournal } from '../audit/access-journal';
import { auditEventFor, type AccessFacts, type AccessOutcome } from '../audit/audit-event';
import { Forbidden } from '../fhir/errors';
import type { ResourceType } from '../fhir/registry/registry';
import type { JournalEntry } from '../store/record-store';
import type { RequestContext } from './request-context';

/** What the journal needs of each resource an interaction touched. */
export interface TouchedResource {
  readonly reference: string;
  readonly compartments: readonly string[];
}

type Interaction = AccessFacts['interaction'];

/**
 * Access control and the access journal (LRSSS), together: every permit and denial of patient
 * data leaves one AuditEvent per person concerned, written before any data leaves. If the
 * journal cannot be written, the request fails and returns nothing.
 */
export class AccessRecorder {
  constructor(
    private readonly journal: AccessJournal,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Throws Forbidden, journaled under `subject` (a patient reference or the type), unless permitted. */
  async authorize(ctx: RequestContext, access: AccessKind, resourceType: ResourceType, interaction: Interaction, subject: string, query?: string): Promise<void> {
    const decision = await decide({ principal: ctx.principal, access, resourceType });
    if (decision.effect === 'permit') return;
    await this.append([this.entry(ctx, interaction, subject, [], 'denied', query)]);
    throw new Forbidden(decision.reason);
  }

  /**
   * The journal entries for an interaction: one per patient whose data it touched; resources in
   * no patient compartment (a Practitioner, a ValueSet) go under `fallbackSubject`.
   */
  entriesFor(ctx: RequestContext, interaction: Interaction, touched: readonly TouchedResource[], outcome: AccessOutcome, fallbackSubject: string, query?: string): JournalEntry[] {
    const byPatient = new Map<string, string[]>();
    for (const resource of touched) {
      const subjects = resource.compartments.length > 0 ? resource.compartments : [fallbackSubject];
      for (const subject of subjects) byPatient.set(subject, [...(byPatient.get(subject) ?? []), resource.reference]);
    }
    if (byPatient.size === 0) byPatient.set(fallbackSubject, []);
    return [...byPatient].map(([subject, entities]) => this.entry(ctx, interaction, subject, entities, outcome, query));
  }

  async record(ctx: RequestContext, interaction: Interaction, touched: readonly TouchedResource[], outcome: AccessOutcome, fallbackSubject: string, query?: string): Promise<void> {
    await this.append(this.entriesFor(ctx, interaction, touched, outcome, fallbackSubject, query));
  }

  private entry(ctx: RequestContext, interaction: Interaction, subject: string, entities: readonly string[], outcome: AccessOutcome, query?: string): JournalEntry {
    const facts: AccessFacts = { ...ctx, interaction, patient: subject, entities, outcome, recorded: this.now(), query };
    return { event: auditEventFor(facts), patient: subject };
  }

  private async append(entries: readonly JournalEntry[]): Promise<void> {
    await Promise.all(entries.map((entry) => this.journal.append(entry.event, entry.patient)));
  }
}
