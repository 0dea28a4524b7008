import type { Answer } from './client';

/** A resource the soak created: what its history and current version must show at the end. */
export interface TrackedResource {
  readonly resourceType: string;
  readonly id: string;
  /** Highest versionId the API acknowledged. */
  version: number;
  /** Writes the API acknowledged with a 2xx: the create and each update. */
  writes: number;
}

/** One request as the report counts it. */
export interface Outcome {
  readonly operation: string;
  readonly status: number;
  readonly ms: number;
  /** The status was not one the operation allows (a 404 on a read of a created resource, say). */
  readonly unexpected: boolean;
}

/**
 * What the soak did and was told: every request's outcome, every resource it created, and for each
 * journal subject the request ids the access journal must hold (permits and denials alike; a 412 or
 * a 400 reaches no data and leaves no entry).
 */
export class Ledger {
  readonly outcomes: Outcome[] = [];
  readonly resources = new Map<string, TrackedResource>();
  private readonly byType = new Map<string, TrackedResource[]>();
  /** Per journal subject (`Patient/<id>`, or the resource a role denial names): request id → the operation that made it. */
  readonly journalExpected = new Map<string, Map<string, string>>();
  /** Requests that never got an HTTP answer (connection refused or reset). */
  readonly transportErrors: string[] = [];

  /**
   * Counts the answer. Given the journal subject the request concerns, the journal must list it
   * there if it was permitted (2xx) or denied (403).
   */
  record(operation: string, answer: Answer, allowed: readonly number[], subject?: string): void {
    this.outcomes.push({ operation, status: answer.status, ms: answer.ms, unexpected: !allowed.includes(answer.status) });
    if (subject === undefined || !(isSuccess(answer.status) || answer.status === 403) || answer.requestId === undefined) return;
    let ids = this.journalExpected.get(subject);
    if (!ids) this.journalExpected.set(subject, (ids = new Map<string, string>()));
    ids.set(answer.requestId, operation);
  }

  created(resourceType: string, id: string): TrackedResource {
    const resource: TrackedResource = { resourceType, id, version: 1, writes: 1 };
    this.resources.set(`${resourceType}/${id}`, resource);
    const list = this.byType.get(resourceType);
    if (list) list.push(resource);
    else this.byType.set(resourceType, [resource]);
    return resource;
  }

  updated(resource: TrackedResource, versionId: number): void {
    resource.writes += 1;
    resource.version = Math.max(resource.version, versionId);
  }

  /** A created resource of this type picked at random, if there is one yet. */
  any(resourceType: string, random: () => number = Math.random): TrackedResource | undefined {
    const list = this.byType.get(resourceType) ?? [];
    return list[Math.floor(random() * list.length)];
  }
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
