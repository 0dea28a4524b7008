import { mayBreakGlass } from '../access/break-glass';
import { decide, decideByRole, restrictionDenial, type RestrictionLookup } from '../access/policy';
import { restrictionsOf, type Restriction } from '../access/restrictions';
import type { AccessKind } from '../access/roles';
import type { AccessJournal } from '../audit/access-journal';
import { auditEventFor, overriddenRestrictionUrl, type AccessFacts, type AccessOutcome } from '../audit/audit-event';
import { breakGlassAlertField, breakGlassPurposeOfUse, defaultPurposeOfUse } from '../contracts/access-headers';
import { Forbidden } from '../fhir/errors';
import { isResourceType, type ResourceType } from '../fhir/registry/registry';
import { logger } from '../platform/logger';
import type { JournalEntry, RecordStore, VersionRecord } from '../store/record-store';
import type { RequestContext } from './request-context';

/** What the journal needs of each resource an interaction touched. */
export interface TouchedResource {
  readonly reference: string;
  readonly compartments: readonly string[];
  /** The restrictions (`Consent/<id>`) break-glass overrode to reach it. */
  readonly overridden?: readonly string[];
}

/** The versions an interaction found, sorted by what the caller may see. */
export interface Screening {
  readonly visible: readonly VersionRecord[];
  /** What a patient's restriction keeps from the caller. */
  readonly withheld: readonly VersionRecord[];
  /** The visible versions as the journal records them. */
  readonly touched: readonly TouchedResource[];
}

type Interaction = AccessFacts['interaction'];

/** The store reads restrictions need: the Consents of a patient's compartment. */
export type ConsentSource = Pick<RecordStore, 'compartment' | 'readVersions'>;

/**
 * Access control and the access journal (LRSSS), together: every permit, denial and break-glass
 * override of patient data leaves one AuditEvent per person concerned, written before any data
 * leaves. If the journal cannot be written, the request fails and returns nothing.
 */
export class AccessRecorder {
  /** Each patient's restrictions are read once per request: one compartment Query for their Consents. */
  private readonly restrictionsByRequest = new WeakMap<RequestContext, Map<string, Promise<Restriction[]>>>();

  constructor(
    private readonly journal: AccessJournal,
    private readonly consents: ConsentSource,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Throws Forbidden, journaled under `subject` (a patient reference or the type), unless the roles
   * permit this access to the type and any break-glass comes from a role allowed to use it.
   */
  async authorize(ctx: RequestContext, access: AccessKind, resourceType: ResourceType, interaction: Interaction, subject: string, query?: string): Promise<void> {
    const decision = decideByRole({ principal: ctx.principal, action: access, type: resourceType });
    const denial =
      decision.effect === 'deny'
        ? decision.reason
        : ctx.breakGlassReason !== undefined && !mayBreakGlass(ctx.principal)
          ? 'Break-glass is reserved for clinical roles: your roles cannot override a patient restriction'
          : undefined;
    if (denial === undefined) return;
    await this.append(ctx, [this.entry(ctx, interaction, subject, [], 'denied', query)]);
    throw new Forbidden(denial);
  }

  /** Sorts versions by the patients' restrictions (roles were checked by `authorize`); nothing is journaled. */
  async screen(ctx: RequestContext, versions: readonly VersionRecord[]): Promise<Screening> {
    const restrictions = this.restrictionLookup(ctx);
    const context = { purposeOfUse: purposeOf(ctx), ...(ctx.breakGlassReason === undefined ? {} : { breakGlassReason: ctx.breakGlassReason }) };
    const at = this.now();
    const decisions = await Promise.all(
      versions.map((version) =>
        isResourceType(version.resourceType)
          ? decide({ principal: ctx.principal, action: 'read', resource: { type: version.resourceType, id: version.id, compartments: version.compartments }, context }, restrictions, at)
          : Promise.resolve({ effect: 'deny', reason: 'unknown type' } as const),
      ),
    );
    const visible: VersionRecord[] = [];
    const withheld: VersionRecord[] = [];
    const touched: TouchedResource[] = [];
    versions.forEach((version, index) => {
      const decision = decisions[index];
      if (decision?.effect === 'deny') {
        withheld.push(version);
        return;
      }
      visible.push(version);
      touched.push({ ...touchedOf(version), ...(decision?.effect === 'permit-with-override' ? { overridden: [decision.restriction] } : {}) });
    });
    return { visible, withheld, touched };
  }

  /**
   * For instance interactions (read, vread, history): the versions found, journaled, or Forbidden
   * (journaled as a denial) when a restriction withholds any of them. The denial says that a
   * restriction applies and break-glass exists, never what it covers.
   */
  async admitInstance(ctx: RequestContext, interaction: Interaction, reference: string, versions: readonly VersionRecord[], outcome: AccessOutcome, query?: string): Promise<void> {
    const screening = await this.screen(ctx, versions);
    if (screening.withheld.length > 0) {
      await this.append(ctx, this.entriesFor(ctx, interaction, screening.withheld.map(touchedOf), 'denied', reference, query));
      throw new Forbidden(restrictionDenial);
    }
    await this.record(ctx, interaction, screening.touched, outcome, reference, query);
  }

  /**
   * For searches and other listings: only what the caller may see, journaled; what a restriction
   * withholds is dropped without a trace in the answer, and journaled as denied.
   */
  async admitListing(ctx: RequestContext, interaction: Interaction, versions: readonly VersionRecord[], fallbackSubject: string, query?: string): Promise<readonly VersionRecord[]> {
    const screening = await this.screen(ctx, versions);
    await this.append(ctx, [
      ...this.entriesFor(ctx, interaction, screening.touched, 'success', fallbackSubject, query),
      ...(screening.withheld.length > 0 ? this.entriesFor(ctx, interaction, screening.withheld.map(touchedOf), 'denied', fallbackSubject, query) : []),
    ]);
    return screening.visible;
  }

  /**
   * The journal entries for an interaction: one per patient whose data it touched; resources in
   * no patient compartment (a Practitioner, a ValueSet) go under `fallbackSubject`.
   */
  entriesFor(ctx: RequestContext, interaction: Interaction, touched: readonly TouchedResource[], outcome: AccessOutcome, fallbackSubject: string, query?: string): JournalEntry[] {
    const byPatient = new Map<string, { entities: string[]; overridden: Set<string> }>();
    for (const resource of touched) {
      const subjects = resource.compartments.length > 0 ? resource.compartments : [fallbackSubject];
      for (const subject of subjects) {
        const group = byPatient.get(subject) ?? { entities: [], overridden: new Set<string>() };
        group.entities.push(resource.reference);
        for (const consent of resource.overridden ?? []) group.overridden.add(consent);
        byPatient.set(subject, group);
      }
    }
    if (byPatient.size === 0) byPatient.set(fallbackSubject, { entities: [], overridden: new Set() });
    return [...byPatient].map(([subject, group]) => this.entry(ctx, interaction, subject, group.entities, outcome, query, [...group.overridden]));
  }

  async record(ctx: RequestContext, interaction: Interaction, touched: readonly TouchedResource[], outcome: AccessOutcome, fallbackSubject: string, query?: string): Promise<void> {
    await this.append(ctx, this.entriesFor(ctx, interaction, touched, outcome, fallbackSubject, query));
  }

  private entry(ctx: RequestContext, interaction: Interaction, subject: string, entities: readonly string[], outcome: AccessOutcome, query?: string, overridden: readonly string[] = []): JournalEntry {
    const { principal, requestId, sourceIp, userAgent, breakGlassReason } = ctx;
    const facts: AccessFacts = {
      principal,
      requestId,
      interaction,
      patient: subject,
      entities,
      outcome,
      recorded: this.now(),
      purposeOfUse: purposeOf(ctx),
      ...(sourceIp === undefined ? {} : { sourceIp }),
      ...(userAgent === undefined ? {} : { userAgent }),
      ...(query === undefined ? {} : { query }),
      ...(breakGlassReason === undefined ? {} : { breakGlassReason }),
      ...(overridden.length > 0 ? { overridden } : {}),
    };
    return { event: auditEventFor(facts), patient: subject };
  }

  private async append(ctx: RequestContext, entries: readonly JournalEntry[]): Promise<void> {
    await Promise.all(entries.map((entry) => this.journal.append(entry.event, entry.patient)));
    // The alert follows the journal entry it points to; it names no patient and holds no health information.
    for (const { event } of entries) {
      if (event.extension?.some((extension) => extension.url === overriddenRestrictionUrl)) {
        logger.warn('Break-glass: a patient restriction was overridden', { ...breakGlassAlertField, auditEvent: event.id, requestId: ctx.requestId });
      }
    }
  }

  private restrictionLookup(ctx: RequestContext): RestrictionLookup {
    let cache = this.restrictionsByRequest.get(ctx);
    if (!cache) {
      cache = new Map();
      this.restrictionsByRequest.set(ctx, cache);
    }
    const known = cache;
    return (patient) => {
      let pending = known.get(patient);
      if (!pending) {
        pending = this.readRestrictions(patient);
        known.set(patient, pending);
      }
      return pending;
    };
  }

  private async readRestrictions(patient: string): Promise<Restriction[]> {
    const restrictions: Restriction[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.consents.compartment(patient, { resourceType: 'Consent', limit: 100, cursor });
      const versions = await this.consents.readVersions(page.items);
      for (const version of versions) if (version.resource && !version.deleted) restrictions.push(...restrictionsOf(version.resource));
      cursor = page.next;
    } while (cursor);
    return restrictions;
  }
}

/** Break-glass is an emergency treatment whatever the client declared. */
function purposeOf(ctx: RequestContext): string {
  return ctx.breakGlassReason !== undefined ? breakGlassPurposeOfUse : (ctx.purposeOfUse ?? defaultPurposeOfUse);
}

function touchedOf(version: VersionRecord): TouchedResource {
  return { reference: `${version.resourceType}/${version.id}`, compartments: version.compartments };
}
