import { randomUUID } from 'node:crypto';
import type { Principal } from '../access/principal';
import { rolesPermit } from '../access/roles';
import type { AccessJournal } from '../audit/access-journal';
import { auditEventFor, type AccessFacts, type AccessOutcome } from '../audit/audit-event';
import { Forbidden, Invalid, NotFound, type OutcomeIssue } from '../fhir/errors';
import type { RecordStore, StoredResource } from '../store/record-store';

/** What the domain needs to know about the request, free of any Lambda or HTTP type. */
export interface RequestContext {
  readonly principal: Principal;
  readonly requestId: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/** Structural validation; injected so read-only functions never bundle the schemas. */
export type ResourceValidator = (resourceType: string, resource: unknown) => OutcomeIssue[];

export interface RecordDependencies {
  readonly store: RecordStore;
  readonly journal: AccessJournal;
  /** Required for create; absent in the read function. */
  readonly validate?: ResourceValidator;
  readonly now?: () => Date;
  readonly newId?: () => string;
}

const fhirId = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * The FHIR interactions on the record. Each one checks the role matrix first and leaves an
 * access-journal entry whatever happens next: success, denial or not found.
 */
export class RecordInteractions {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly deps: RecordDependencies) {
    this.now = deps.now ?? (() => new Date());
    this.newId = deps.newId ?? randomUUID;
  }

  /** `readBody` is called only once the caller is known to be permitted, so a denial reveals nothing about parsing. */
  async create(ctx: RequestContext, resourceType: string, readBody: () => unknown): Promise<StoredResource> {
    // A denied create concerns no identified person yet, so it is journalled under the type.
    await this.assertPermitted(ctx, resourceType, 'create', resourceType);
    const resource = assertResourceOfType(readBody(), resourceType);
    if (!this.deps.validate) throw new Error('create needs a validator');
    const issues = this.deps.validate(resourceType, resource);
    if (issues.length > 0) throw new Invalid(issues);

    const recorded = this.now();
    const id = this.newId();
    const { id: _ignored, meta, ...content } = resource;
    const stored: StoredResource = {
      resourceType,
      id, // the server assigns the id of a created resource; a client-sent id is ignored (R4 3.1.0.7)
      meta: { ...(isObject(meta) ? meta : {}), versionId: '1', lastUpdated: recorded.toISOString() },
      ...content,
    };
    const reference = `${resourceType}/${id}`;
    const event = auditEventFor(this.facts(ctx, 'create', reference, reference, 'success', recorded));
    await this.deps.store.create(stored, { event, patient: reference });
    return stored;
  }

  async read(ctx: RequestContext, resourceType: string, id: string): Promise<StoredResource> {
    if (!fhirId.test(id)) throw new Invalid(`"${id}" is not a valid FHIR id`);
    const reference = `${resourceType}/${id}`;
    await this.assertPermitted(ctx, resourceType, 'read', reference);
    const resource = await this.deps.store.readCurrent(resourceType, id);
    // The journal entry is written before any data leaves: if it cannot be, nothing is returned.
    await this.journal(ctx, 'read', reference, reference, resource ? 'success' : 'not-found');
    if (!resource) throw new NotFound(`${reference} is not known`);
    return resource;
  }

  private async assertPermitted(ctx: RequestContext, resourceType: string, interaction: AccessFacts['interaction'], patient: string): Promise<void> {
    if (rolesPermit(ctx.principal.roles, resourceType, interaction)) return;
    await this.journal(ctx, interaction, patient, patient, 'denied');
    throw new Forbidden(`Your roles do not permit ${interaction} on ${resourceType}`);
  }

  private async journal(ctx: RequestContext, interaction: AccessFacts['interaction'], entity: string, patient: string, outcome: AccessOutcome): Promise<void> {
    await this.deps.journal.append(auditEventFor(this.facts(ctx, interaction, entity, patient, outcome, this.now())), patient);
  }

  private facts(ctx: RequestContext, interaction: AccessFacts['interaction'], entity: string, patient: string, outcome: AccessOutcome, recorded: Date): AccessFacts {
    return { ...ctx, interaction, entity, patient, outcome, recorded };
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertResourceOfType(body: unknown, resourceType: string): JsonObject {
  if (!isObject(body)) throw new Invalid('The request body must be a FHIR resource (a JSON object)');
  if (body.resourceType !== resourceType) {
    throw new Invalid(`The resourceType in the body (${String(body.resourceType)}) does not match the URL (${resourceType})`);
  }
  return body;
}
