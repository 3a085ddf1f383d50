import { notFound } from '../../errors';
import type { PhoneNumber } from '../../model';
import type { PageRequest, PageResult, PhoneNumberFilter } from '../../ports';
import { requireScope, type Ctx } from '../context';

export function getPhoneNumber() {
  return async ({ ctx, id }: { ctx: Ctx; id: string }): Promise<PhoneNumber> => {
    requireScope(ctx.actor, 'phone_numbers:read');
    const phone = await ctx.uow.read((repos) => repos.phoneNumbers.get(ctx.actor.visibility, id));
    if (!phone) throw notFound('phone_number', id);
    return phone;
  };
}

export function listPhoneNumbers() {
  return async ({ ctx, filter, page }: { ctx: Ctx; filter: PhoneNumberFilter; page: PageRequest }): Promise<PageResult<PhoneNumber>> => {
    requireScope(ctx.actor, 'phone_numbers:read');
    return ctx.uow.read((repos) => repos.phoneNumbers.list(ctx.actor.visibility, filter, page));
  };
}
