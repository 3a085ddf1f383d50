import type { UnitOfWork } from '../../ports';
import type { CoreDeps } from '../context';
import { applyStatuses, type DeliveryStatus, type StatusOutcome } from '../replies/statuses';
import { storeInboundMessages, type InboundMessage, type InboundOutcome } from './record-inbound-messages';

/**
 * A whole webhook delivery, customer messages and status callbacks, in one transaction: a failure
 * anywhere stores none of it, so the 5xx that makes Meta deliver it again never follows a partial
 * write. Messages first (each is stored once per Meta id), then statuses (each only moves forwards).
 */
export function recordDelivery(deps: CoreDeps) {
  return ({ uow, messages, statuses }: { uow: UnitOfWork; messages: readonly InboundMessage[]; statuses: readonly DeliveryStatus[] }) =>
    uow.write(async (repos): Promise<{ messages: InboundOutcome[]; statuses: StatusOutcome[] }> => ({
      messages: messages.length > 0 ? await storeInboundMessages(deps, repos, messages) : [],
      statuses: statuses.length > 0 ? await applyStatuses(repos, statuses) : [],
    }));
}
