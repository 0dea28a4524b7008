import { auditAgentIndex, auditTable } from '../contracts/tables';
import type { Principal } from '../access/principal';
import { defaultPurposeOfUse } from '../contracts/access-headers';
import { auditEventFor, gatewayErrorUrl, overriddenRestrictionUrl, type AccessFacts, type AuditEvent } from './audit-event';

/** The access journal port: append-only, so it has no update or delete. */
export interface AccessJournal {
  append(event: AuditEvent, patient: string): Promise<void>;
}

/**
 * The audit table item for an event, kept per person so their journal is one Query. The item
 * holds the event's facts compactly (`j`), not the AuditEvent's JSON: a journal entry is written
 * on every read, and under 1 KB it costs one write unit instead of two. `auditEventOfItem`
 * rebuilds the very AuditEvent.
 */
export function journalItem(event: AuditEvent, patient: string): Record<string, unknown> {
  const agent = agentKeyOf(event);
  return {
    [auditTable.partitionKey.name]: patient,
    [auditTable.sortKey.name]: `${event.recorded}#${event.id}`,
    j: JSON.stringify(compactFacts(event)),
    // The journal by agent: the agent's Cognito sub, which is never changed nor reused (empty keys cannot be indexed).
    ...(agent ? { [auditAgentIndex.partitionKey.name]: agent } : {}),
  };
}

/** The key of an entry in the journal by agent (`auditAgentIndex`). */
export function agentKeyOf(event: AuditEvent): string | undefined {
  return event.agent[0]?.who?.identifier?.value || undefined;
}

/** The AuditEvent an audit table item records. */
export function auditEventOfItem(item: Record<string, unknown>): AuditEvent {
  const facts = JSON.parse(String(item.j)) as CompactFacts;
  return auditEventFor(
    {
      principal: {
        kind: facts.k ?? 'staff',
        sub: facts.w,
        username: facts.n,
        ...(facts.m === undefined ? {} : { email: facts.m }),
        ...(facts.pr === undefined ? {} : { practitioner: facts.pr }),
        clientId: facts.c,
        roles: facts.g,
        scopes: [],
      },
      interaction: facts.s,
      patient: facts.p,
      entities: facts.e,
      outcome: facts.o,
      recorded: new Date(facts.r),
      requestId: facts.x,
      purposeOfUse: facts.u ?? defaultPurposeOfUse,
      ...(facts.ip === undefined ? {} : { sourceIp: facts.ip }),
      ...(facts.ua === undefined ? {} : { userAgent: facts.ua }),
      ...(facts.q === undefined ? {} : { query: facts.q }),
      ...(facts.bg === undefined ? {} : { breakGlassReason: facts.bg }),
      ...(facts.ov === undefined ? {} : { overridden: facts.ov }),
      ...(facts.ge === undefined ? {} : { gatewayError: facts.ge }),
    },
    facts.i,
  );
}

/** Never overwrite an entry: the condition turns an id collision into an error, not a lost record. */
export const journalPutCondition = `attribute_not_exists(${auditTable.partitionKey.name})`;

/** Short keys keep a read's entry under 1 KB; facts at their usual value (a staff member, TREAT) are left out. */
interface CompactFacts {
  readonly i: string;
  readonly r: string;
  readonly s: AccessFacts['interaction'];
  readonly o: AccessFacts['outcome'];
  readonly k?: Principal['kind'];
  readonly w: string;
  readonly n: string;
  readonly m?: string;
  readonly pr?: string;
  readonly g: AccessFacts['principal']['roles'];
  readonly c: string;
  readonly p: string;
  readonly e: readonly string[];
  readonly x: string;
  readonly u?: string;
  readonly bg?: string;
  readonly ov?: readonly string[];
  readonly ip?: string;
  readonly ua?: string;
  readonly q?: string;
  readonly ge?: string;
}

/** The facts an AuditEvent built by `auditEventFor` was made from (its inverse). */
function compactFacts(event: AuditEvent): CompactFacts {
  const agent = event.agent[0];
  const [subject, ...others] = event.entity ?? [];
  const extension = (url: string) => event.extension?.find((candidate) => candidate.url === url)?.valueString;
  const query = others.find((entity) => entity.query !== undefined)?.query;
  const entities = others.flatMap((entity) => (entity.what?.reference ? [entity.what.reference] : []));
  const patient = subject?.what?.reference ?? subject?.what?.display ?? '';
  const purpose = event.purposeOfEvent?.[0];
  const purposeOfUse = purpose?.coding?.[0]?.code ?? defaultPurposeOfUse;
  const overridden = (event.extension ?? []).flatMap((candidate) => (candidate.url === overriddenRestrictionUrl && candidate.valueReference?.reference ? [candidate.valueReference.reference] : []));
  return {
    i: event.id,
    r: event.recorded,
    s: event.subtype?.[0]?.code as AccessFacts['interaction'],
    o: event.outcomeDesc as AccessFacts['outcome'],
    ...(agent?.type?.coding?.[0]?.code === 'dataprocessor' ? { k: 'system' as const } : {}),
    w: agent?.who?.identifier?.value ?? '',
    n: agent?.altId ?? '',
    ...(agent?.name === undefined ? {} : { m: agent.name }),
    ...(agent?.who?.reference === undefined ? {} : { pr: agent.who.reference }),
    g: (agent?.role ?? []).flatMap((role) => role.coding?.map((coding) => coding.code ?? '') ?? []) as unknown as AccessFacts['principal']['roles'],
    c: (agent?.policy?.[0] ?? '').replace(/^urn:dsc:client:/, ''),
    p: patient,
    e: entities,
    x: extension('urn:dsc:audit:request-id') ?? '',
    ...(purposeOfUse === defaultPurposeOfUse ? {} : { u: purposeOfUse }),
    ...(purpose?.text === undefined ? {} : { bg: purpose.text }),
    ...(overridden.length > 0 ? { ov: overridden } : {}),
    ...(agent?.network?.address ? { ip: agent.network.address } : {}),
    ...(extension('urn:dsc:audit:user-agent') ? { ua: extension('urn:dsc:audit:user-agent') } : {}),
    ...(query !== undefined ? { q: Buffer.from(query, 'base64').toString('utf8') } : {}),
    ...(extension(gatewayErrorUrl) === undefined ? {} : { ge: extension(gatewayErrorUrl) }),
  };
}
