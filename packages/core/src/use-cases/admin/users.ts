import { notFound, validationFailed, type Issue } from '../../errors';
import type { User } from '../../model';
import type { UnitOfWork } from '../../ports';
import type { CoreDeps } from '../context';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function createUser(deps: CoreDeps) {
  return async ({ uow, input }: { uow: UnitOfWork; input: { orgId: string; name: string; email?: string | null } }): Promise<User> => {
    const name = input.name.trim();
    const email = input.email ?? null;
    const issues: Issue[] = [];
    if (name.length < 1 || name.length > 255) issues.push({ field: 'name', rule: 'length', message: 'name must be 1-255 characters' });
    if (email !== null && (email.length > 254 || !EMAIL.test(email))) issues.push({ field: 'email', rule: 'invalid', message: 'email must be an email address' });
    if (issues.length > 0) throw validationFailed(issues);
    return uow.write(async (repos) => {
      if (!(await repos.orgs.get(input.orgId))) throw notFound('org', input.orgId);
      const now = deps.clock.now();
      const user: User = { id: deps.ids.next('usr'), orgId: input.orgId, name, email, createdAt: now, updatedAt: now };
      await repos.users.insert(user);
      return user;
    });
  };
}

/** The org's users, newest first: the admin CLI's `users list`. */
export function listUsers() {
  return ({ uow, orgId }: { uow: UnitOfWork; orgId: string }): Promise<User[]> =>
    uow.read(async (repos) => {
      if (!(await repos.orgs.get(orgId))) throw notFound('org', orgId);
      return repos.users.list(orgId);
    });
}

/** Legacy paths name a user; the key must be of that user's org and bound to it or to no user. */
export function resolvePathUser() {
  return async ({ uow, orgId, keyUserId, userId }: { uow: UnitOfWork; orgId: string; keyUserId: string | null; userId: string }): Promise<User> => {
    if (keyUserId !== null && keyUserId !== userId) throw notFound('user', userId);
    const user = await uow.read((repos) => repos.users.get(orgId, userId));
    if (!user) throw notFound('user', userId);
    return user;
  };
}
