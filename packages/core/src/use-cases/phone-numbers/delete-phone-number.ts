import { DomainError, notFound } from '../../errors';
import type { PhoneNumber } from '../../model';
import { requireScope, type CoreDeps, type Ctx } from '../context';

/** R3: a number with an active agent cannot be deleted; otherwise it is soft-deleted. */
export function deletePhoneNumber(deps: CoreDeps) {
  return async ({ ctx, id }: { ctx: Ctx; id: string }): Promise<PhoneNumber> => {
    requireScope(ctx.actor, 'phone_numbers:delete');
    return ctx.uow.write(async (repos) => {
      // R3 decides on the number's active agent: no agent write of the org runs meanwhile.
      await repos.locks.org(ctx.actor.orgId);
      const phone = await repos.phoneNumbers.get(ctx.actor.visibility, id);
      if (!phone) throw notFound('phone_number', id);
      await repos.locks.phoneNumber(phone.id);
      if (await repos.agents.activeOnPhoneNumber(phone.id)) {
        throw new DomainError('phone_number_has_active_agent', 'Cannot delete phone number with an active agent', {
          entity: 'phone_number',
          id,
        });
      }
      const now = deps.clock.now();
      const deleted: PhoneNumber = { ...phone, deletedAt: now, updatedAt: now };
      await repos.phoneNumbers.update(deleted);
      return deleted;
    });
  };
}
