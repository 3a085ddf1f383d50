import { notFound, validationFailed, type Issue } from '../../errors';
import type { PhoneNumber, PhoneNumberWrite } from '../../model';
import { requireScope, type CoreDeps, type Ctx } from '../context';
import { accessTokenIssue, displayNameIssue } from './phone-number-fields';

export interface UpdatePhoneNumberInput {
  displayName?: string | null;
  accessToken?: string;
}

export function updatePhoneNumber(deps: CoreDeps) {
  return async ({ ctx, id, input }: { ctx: Ctx; id: string; input: UpdatePhoneNumberInput }): Promise<PhoneNumber> => {
    requireScope(ctx.actor, 'phone_numbers:write');
    const issues: Issue[] = [];
    if (input.displayName !== undefined) {
      const issue = displayNameIssue(input.displayName);
      if (issue) issues.push(issue);
    }
    if (input.accessToken !== undefined) {
      const issue = accessTokenIssue(input.accessToken);
      if (issue) issues.push(issue);
    }
    if (issues.length > 0) throw validationFailed(issues);

    return ctx.uow.write(async (repos) => {
      // The number is written back whole: read it under the lock so a concurrent write is not lost.
      await repos.locks.org(ctx.actor.orgId);
      const phone = await repos.phoneNumbers.get(ctx.actor.visibility, id);
      if (!phone) throw notFound('phone_number', id);
      const updated: PhoneNumber = {
        ...phone,
        ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
        updatedAt: deps.clock.now(),
      };
      const write: PhoneNumberWrite = input.accessToken !== undefined ? { ...updated, accessToken: input.accessToken } : updated;
      await repos.phoneNumbers.update(write);
      return updated;
    });
  };
}
