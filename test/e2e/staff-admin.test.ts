import { describe, expect, it } from 'vitest';
import { bootLocalStack, expectJson, expectOperationOutcome, unique, type Bundle } from '../support/e2e-stack';

/**
 * Staff account administration through `npm start`'s stack, against cognito-local: the user
 * administrator invites, lists, changes roles and disables; others are refused; every action is in
 * the journal, which the privacy officer reads under the account. cognito-local has no
 * AdminUserGlobalSignOut, so sign-out is covered by the unit tests (test/lambdas/staff).
 */
const stack = bootLocalStack();
const userAdmin = 'admin-usagers@dsc.local';
const privacyOfficer = 'vie-privee@dsc.local';
const physician = 'medecin@dsc.local';

interface Account {
  readonly username: string;
  readonly sub: string;
  readonly email: string;
  readonly roles?: readonly string[];
  readonly enabled: boolean;
  readonly practitioner?: string;
}

const json = (body: unknown, method = 'POST') => ({ method, as: userAdmin, body: JSON.stringify(body), headers: { 'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } });

describe('staff account administration', () => {
  it('lets the user administrator invite, find, change the roles of and disable an account, each action journaled under the account', async () => {
    const email = `${unique('infirmier')}@dsc.local`.toLowerCase();
    const invited = await stack.request('/admin/users', json({ email, givenName: 'Jean', familyName: 'Lévesque', roles: ['nurse'] }));
    const account = await expectJson<Account>(invited, 201);
    expect(account).toMatchObject({ email, roles: ['nurse'], enabled: true });
    expect(invited.headers.get('location')).toMatch(/\/admin\/users\//);

    const listing = await expectJson<{ accounts: Account[] }>(await stack.request(`/admin/users?email=${encodeURIComponent(email.slice(0, 12))}`, { as: userAdmin }), 200);
    expect(listing.accounts.map((candidate) => candidate.email)).toContain(email);

    const changed = await expectJson<Account>(await stack.request(`/admin/users/${account.username}`, json({ roles: ['physician'] }, 'PATCH')), 200);
    expect(changed.roles).toEqual(['physician']);
    const disabled = await expectJson<Account>(await stack.request(`/admin/users/${encodeURIComponent(email)}`, json({ enabled: false }, 'PATCH')), 200);
    expect(disabled.enabled).toBe(false);
    const read = await expectJson<Account>(await stack.request(`/admin/users/${account.username}`, { as: userAdmin }), 200);
    expect(read).toMatchObject({ roles: ['physician'], enabled: false });

    const journal = await expectJson<Bundle>(await stack.request(`/AuditEvent?entity=${encodeURIComponent(`urn:dsc:staff:${account.sub}`)}`, { as: privacyOfficer }), 200);
    const actions = (journal.entry ?? []).map((entry) => (entry.resource as unknown as { subtype: { code: string }[]; outcomeDesc: string }).subtype[0]?.code);
    expect(actions.sort()).toEqual(['create', 'patch', 'patch', 'read']);
  });

  it('refuses roles that break separation of duties with 422', async () => {
    const email = `${unique('admin')}@dsc.local`.toLowerCase();
    await expectOperationOutcome(await stack.request('/admin/users', json({ email, givenName: 'A', familyName: 'B', roles: ['user-admin', 'physician'] })), 422);
  });

  it('refuses a physician with 403 and has no delete (405)', async () => {
    await expectOperationOutcome(await stack.request('/admin/users', { as: physician }), 403);
    await expectOperationOutcome(await stack.request('/admin/users/someone', { method: 'DELETE', as: userAdmin }), 405);
  });
});
