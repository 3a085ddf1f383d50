import type { Platform } from '../../model';
import type { Repositories, UnitOfWork } from '../../ports';
import { advanceStatus, type DeliveryState } from '../../rules/replies';

/** One entry of a delivery's `statuses[]`, parsed. */
export interface DeliveryStatus {
  platform: Platform;
  metaPhoneNumberId: string;
  /** Meta's id of the business's message. */
  platformMessageId: string;
  status: DeliveryState;
  /** Meta's error for `failed` (`meta 131047: …`), else null. */
  failureReason: string | null;
  /** `biz_opaque_callback_data`: the gateway's own message id, sent with every WhatsApp reply. */
  callbackData: string | null;
}

export type StatusOutcome = 'applied' | 'unchanged' | 'unknown_message';

/**
 * §8: status callbacks move replies forwards only, in any order and any number of times. A message
 * is found by Meta's id on its number, or by its own id (`biz_opaque_callback_data`) when the send's
 * answer was lost and Meta's id never stored; that also fills the id in. One transaction.
 */
export function applyDeliveryStatuses() {
  return ({ uow, statuses }: { uow: UnitOfWork; statuses: readonly DeliveryStatus[] }) => uow.write((repos) => applyStatuses(repos, statuses));
}

/** The work of {@link applyDeliveryStatuses}, inside a transaction the caller holds. */
export async function applyStatuses(repos: Repositories, statuses: readonly DeliveryStatus[]): Promise<StatusOutcome[]> {
  const outcomes: StatusOutcome[] = [];
  for (const update of statuses) {
    const phone = await repos.phoneNumbers.findByMeta(update.platform, update.metaPhoneNumberId);
    if (!phone) {
      outcomes.push('unknown_message');
      continue;
    }
    await repos.locks.phoneNumber(phone.id);
    let message = await repos.messages.findByPlatformId(phone.id, update.platformMessageId);
    if (!message && update.callbackData !== null) {
      const byOwnId = await repos.messages.get(update.callbackData);
      if (byOwnId && byOwnId.phoneNumberId === phone.id && byOwnId.role === 'assistant' && byOwnId.platformMessageId === null) message = byOwnId;
    }
    if (!message) {
      outcomes.push('unknown_message');
      continue;
    }
    const next = advanceStatus(message, update.status, update.failureReason);
    const from = { status: message.status, failureReason: message.failureReason };
    const needsId = message.platformMessageId === null;
    if (next === null && !needsId) {
      outcomes.push('unchanged');
      continue;
    }
    const wrote = await repos.messages.setStatus(message.id, from, { ...(next ?? from), platformMessageId: update.platformMessageId });
    outcomes.push(wrote && next !== null ? 'applied' : 'unchanged');
  }
  return outcomes;
}
