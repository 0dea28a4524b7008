import { z } from 'zod';
import { isRole, roles, type Role } from '../access/roles';
import { Invalid, type OutcomeIssue } from '../fhir/errors';
import type { AccountListing, Invitation } from './staff-directory';

/** The admin API's JSON bodies and query parameters, checked strictly: an unknown field is an error, not ignored. */

const practitioner = z.string().regex(/^Practitioner\/[A-Za-z0-9\-.]{1,64}$/, 'must be Practitioner/[id]');
const roleList = z.array(z.enum(roles)).max(roles.length);

const invitationSchema = z.strictObject({
  email: z.email().max(254).transform((email) => email.toLowerCase()),
  givenName: z.string().trim().min(1).max(100),
  familyName: z.string().trim().min(1).max(100),
  roles: roleList.min(1),
  practitioner: practitioner.optional(),
});

/** A JSON merge patch (RFC 7386) of an account: `practitioner: null` removes the link. */
const changeSchema = z
  .strictObject({
    roles: roleList.optional(),
    practitioner: practitioner.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .refine((change) => Object.keys(change).length > 0, 'name at least one of roles, practitioner, enabled');

export interface AccountChange {
  /** The complete set of roles the account is to have. */
  readonly roles?: readonly Role[];
  /** A new link; null removes it. */
  readonly practitioner?: string | null;
  readonly enabled?: boolean;
}

export function invitationOf(body: unknown): Invitation {
  const invitation = parsed(invitationSchema, body);
  return { ...invitation, roles: [...new Set(invitation.roles)] };
}

export function accountChangeOf(body: unknown): AccountChange {
  const change = parsed(changeSchema, body);
  return change.roles ? { ...change, roles: [...new Set(change.roles)] } : change;
}

export const maxListing = 60; // ListUsers' own page limit

/** `GET /admin/users`: `email` (a prefix), `role`, `_count` (1–60) and `_cursor`. */
export function listingOf(params: readonly (readonly [string, string])[]): AccountListing {
  let listing: AccountListing = { limit: 20 };
  for (const [name, value] of params) {
    if (name === 'email') {
      // The value goes inside Cognito's quoted filter: no quote or backslash may end it early.
      if (!/^[^"\\]{1,100}$/.test(value)) throw new Invalid('email must be 1 to 100 characters, without quotes or backslashes');
      listing = { ...listing, emailPrefix: value.toLowerCase() };
    } else if (name === 'role') {
      if (!isRole(value)) throw new Invalid(`role must be one of ${roles.join(', ')}`);
      listing = { ...listing, role: value };
    } else if (name === '_count') {
      if (!/^\d{1,2}$/.test(value) || Number(value) < 1 || Number(value) > maxListing) throw new Invalid(`_count must be a whole number from 1 to ${maxListing}`);
      listing = { ...listing, limit: Number(value) };
    } else if (name === '_cursor') {
      listing = { ...listing, cursor: value };
    } else {
      throw new Invalid(`Unknown parameter ${name.slice(0, 40)}; use email, role, _count`);
    }
  }
  if (listing.role && listing.emailPrefix) throw new Invalid('Filter by email or by role, not both');
  return listing;
}

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues: OutcomeIssue[] = result.error.issues.slice(0, 10).map((issue) => ({
    severity: 'error',
    code: 'invalid',
    diagnostics: `${issue.path.join('.') || 'body'}: ${issue.message}`,
    ...(issue.path.length > 0 ? { expression: [issue.path.join('.')] } : {}),
  }));
  throw new Invalid(issues);
}
