import { validationFailed, type Issue } from '../../errors';
import type { PhoneNumber, PhoneNumberWrite, Platform } from '../../model';
import { PLATFORMS } from '../../model';
import { requireScope, type CoreDeps, type Ctx } from '../context';
import { accessTokenIssue, displayNameIssue } from './phone-number-fields';
import { META_ID_PATTERN } from '../../rules/limits';

export interface AddPhoneNumberInput {
  platform: string;
  metaPhoneNumberId: string;
  accessToken: string;
  displayName?: string | null;
  wabaId?: string | null;
}

export function addPhoneNumber(deps: CoreDeps) {
  return async ({ ctx, input }: { ctx: Ctx; input: AddPhoneNumberInput }): Promise<PhoneNumber> => {
    const { actor } = ctx;
    requireScope(actor, 'phone_numbers:write');

    const issues: Issue[] = [];
    if (!(PLATFORMS as readonly string[]).includes(input.platform)) {
      issues.push({ field: 'platform', rule: 'invalid', message: 'platform must be one of whatsapp, instagram' });
    }
    if (!META_ID_PATTERN.test(input.metaPhoneNumberId)) {
      issues.push({ field: 'meta_phone_number_id', rule: 'invalid', message: 'meta_phone_number_id must be 5-32 digits' });
    }
    const tokenIssue = accessTokenIssue(input.accessToken);
    if (tokenIssue) issues.push(tokenIssue);
    const nameIssue = displayNameIssue(input.displayName ?? null);
    if (nameIssue) issues.push(nameIssue);
    const wabaId = input.wabaId ?? null;
    if (wabaId !== null) {
      if (input.platform !== 'whatsapp') {
        issues.push({ field: 'waba_id', rule: 'not_allowed', message: 'waba_id is only accepted for whatsapp numbers' });
      } else if (!META_ID_PATTERN.test(wabaId)) {
        issues.push({ field: 'waba_id', rule: 'invalid', message: 'waba_id must be 5-32 digits' });
      }
    }
    const owner = actor.visibility.ownerUserId ?? actor.keyUserId;
    if (owner === null) {
      issues.push({ field: 'user_id', rule: 'required', message: 'a phone number needs an owner user' });
    }
    if (issues.length > 0) throw validationFailed(issues);

    const now = deps.clock.now();
    const phone: PhoneNumberWrite = {
      id: deps.ids.next('pn'),
      orgId: actor.orgId,
      userId: owner as string,
      platform: input.platform as Platform,
      metaPhoneNumberId: input.metaPhoneNumberId,
      displayName: input.displayName ?? null,
      wabaId,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      accessToken: input.accessToken,
    };
    const { accessToken: _secret, ...stored } = phone;
    return ctx.uow.write(async (repos) => {
      await repos.phoneNumbers.insert(phone);
      return stored;
    });
  };
}
