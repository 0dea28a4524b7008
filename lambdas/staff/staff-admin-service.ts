import { dutyConflict } from '../access/duties';
import type { Role } from '../access/roles';
import type { AccessOutcome } from '../audit/audit-event';
import { FhirError, Forbidden, NotFound, Unprocessable } from '../fhir/errors';
import type { AccessRecorder, TouchedResource } from '../record/access-recorder';
import type { RequestContext } from '../record/request-context';
import type { AccountChange } from './staff-requests';
import type { AccountListing, Invitation, StaffAccount, StaffDirectory } from './staff-directory';

/** Journal subjects: the staff directory as a whole (listings, refusals), and one staff account. */
export const staffDirectorySubject = 'urn:dsc:staff';
export const staffSubjectOf = (sub: string) => `${staffDirectorySubject}:${sub}`;

type Interaction = 'search-type' | 'create' | 'read' | 'patch' | 'instance-operation';

/**
 * Staff account administration, for user administrators only. Every action, refusals included,
 * leaves a journal entry under the account concerned (agent: the administrator; query: the change).
 * Accounts are disabled, never deleted, so the journal always names someone who existed.
 */
export class StaffAdminService {
  constructor(
    private readonly directory: StaffDirectory,
    private readonly access: AccessRecorder,
  ) {}

  async invite(ctx: RequestContext, invitation: Invitation): Promise<StaffAccount> {
    const query = changeText({ email: invitation.email, roles: invitation.roles.join(','), practitioner: invitation.practitioner });
    await this.assertAdministrator(ctx, 'create', staffDirectorySubject, query);
    await this.refuseConflict(ctx, 'create', staffDirectorySubject, query, invitation.roles);
    try {
      const account = await this.directory.invite(invitation);
      await this.journal(ctx, 'create', staffSubjectOf(account.sub), 'success', query, account.practitioner);
      return account;
    } catch (error) {
      await this.journal(ctx, 'create', staffDirectorySubject, outcomeOf(error), query);
      throw error;
    }
  }

  async list(ctx: RequestContext, listing: AccountListing, queryText: string) {
    await this.assertAdministrator(ctx, 'search-type', staffDirectorySubject, queryText);
    return this.journaled(ctx, 'search-type', staffDirectorySubject, queryText, () => this.directory.list(listing));
  }

  async get(ctx: RequestContext, username: string): Promise<StaffAccount> {
    await this.assertAdministrator(ctx, 'read', staffDirectorySubject, changeText({ username }));
    const account = await this.target(ctx, 'read', username, undefined);
    await this.journal(ctx, 'read', staffSubjectOf(account.sub), 'success', undefined);
    return account;
  }

  /** Roles (the complete set wanted), the Practitioner link and enabled, as one merge patch. */
  async change(ctx: RequestContext, username: string, change: AccountChange): Promise<StaffAccount> {
    const requested = changeText({ roles: change.roles?.join(','), practitioner: change.practitioner === null ? '(none)' : change.practitioner, enabled: change.enabled?.toString() });
    await this.assertAdministrator(ctx, 'patch', staffDirectorySubject, requested);
    const account = await this.target(ctx, 'patch', username, requested);
    const subject = staffSubjectOf(account.sub);
    if (account.sub === ctx.principal.sub) await this.refuse(ctx, 'patch', subject, requested, new Forbidden('Administrators cannot change their own account: ask another user administrator'));
    const added = (change.roles ?? []).filter((role) => !account.roles.includes(role));
    const removed = change.roles ? account.roles.filter((role) => !change.roles?.includes(role)) : [];
    const query = [requested, changeText({ added: added.join(','), removed: removed.join(',') })].filter(Boolean).join('&');
    await this.refuseConflict(ctx, 'patch', subject, query, change.roles ?? account.roles);
    const practitioner = change.practitioner === undefined ? account.practitioner : (change.practitioner ?? undefined);
    return this.journaled(ctx, 'patch', subject, query, async () => {
      await this.directory.addRoles(account.username, added);
      await this.directory.removeRoles(account.username, removed);
      if (change.practitioner !== undefined) await this.directory.setPractitioner(account.username, change.practitioner ?? undefined);
      if (change.enabled !== undefined) await this.directory.setEnabled(account.username, change.enabled);
      return this.directory.get(account.username);
    }, practitioner);
  }

  /** Revokes every refresh token of the account: its sessions end when their access tokens expire. */
  async signOut(ctx: RequestContext, username: string): Promise<void> {
    const query = changeText({ operation: 'sign-out' });
    await this.assertAdministrator(ctx, 'instance-operation', staffDirectorySubject, query);
    const account = await this.target(ctx, 'instance-operation', username, query);
    await this.journaled(ctx, 'instance-operation', staffSubjectOf(account.sub), query, () => this.directory.signOutEverywhere(account.username));
  }

  /** Only user administrators, and only those whose roles respect separation of duties. */
  private async assertAdministrator(ctx: RequestContext, interaction: Interaction, subject: string, query: string | undefined): Promise<void> {
    const { roles } = ctx.principal;
    const refusal = roles.includes('user-admin') ? dutyConflict(roles) : 'Only user administrators (user-admin) manage staff accounts';
    if (refusal !== undefined) await this.refuse(ctx, interaction, subject, query, new Forbidden(refusal));
  }

  /** Refuses roles that cannot be held together (lambdas/access/duties.ts), before anything changes. */
  private async refuseConflict(ctx: RequestContext, interaction: Interaction, subject: string, query: string, roles: readonly Role[]): Promise<void> {
    const conflict = dutyConflict(roles);
    if (conflict !== undefined) await this.refuse(ctx, interaction, subject, query, new Unprocessable(conflict));
  }

  /** The account a path names (username or email); a miss is journaled under the directory. */
  private async target(ctx: RequestContext, interaction: Interaction, username: string, query: string | undefined) {
    try {
      return await this.directory.get(username);
    } catch (error) {
      await this.journal(ctx, interaction, staffDirectorySubject, outcomeOf(error), [changeText({ username }), query].filter(Boolean).join('&'));
      throw error;
    }
  }

  private async journaled<T>(ctx: RequestContext, interaction: Interaction, subject: string, query: string | undefined, action: () => Promise<T>, practitioner?: string): Promise<T> {
    try {
      const result = await action();
      await this.journal(ctx, interaction, subject, 'success', query, practitioner);
      return result;
    } catch (error) {
      await this.journal(ctx, interaction, subject, outcomeOf(error), query, practitioner);
      throw error;
    }
  }

  private async refuse(ctx: RequestContext, interaction: Interaction, subject: string, query: string | undefined, error: FhirError): Promise<never> {
    await this.journal(ctx, interaction, subject, 'denied', query);
    throw error;
  }

  private journal(ctx: RequestContext, interaction: Interaction, subject: string, outcome: AccessOutcome, query: string | undefined, practitioner?: string): Promise<void> {
    const touched: TouchedResource[] = practitioner ? [{ reference: practitioner, compartments: [subject] }] : [];
    return this.access.record(ctx, interaction, touched, outcome, subject, query);
  }
}

function outcomeOf(error: unknown): AccessOutcome {
  if (error instanceof NotFound) return 'not-found';
  if (error instanceof Forbidden || error instanceof Unprocessable) return 'denied';
  return 'failed';
}

/** The change as query text for the journal entry, empty values left out. */
function changeText(fields: Record<string, string | undefined>): string {
  return new URLSearchParams(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')).toString();
}
