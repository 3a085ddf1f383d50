import { createAgent } from './use-cases/agents/create-agent';
import { deleteAgent } from './use-cases/agents/delete-agent';
import { getAgent, listAgents } from './use-cases/agents/read-agents';
import { updateAgent } from './use-cases/agents/update-agent';
import { actorFor, authenticate, createApiKey, listApiKeys, revokeApiKey, touchApiKey } from './use-cases/admin/api-keys';
import { countOrgs, createOrg, getOrgSummary, listOrgs } from './use-cases/admin/orgs';
import { createUser, listUsers, resolvePathUser } from './use-cases/admin/users';
import type { CoreDeps } from './use-cases/context';
import { getConversation, listConversations, listMessages } from './use-cases/conversations/read-conversations';
import { recordDelivery } from './use-cases/conversations/record-delivery';
import { recordInboundMessages } from './use-cases/conversations/record-inbound-messages';
import { applyDeliveryStatuses } from './use-cases/replies/statuses';
import {
  beginReplyTurn,
  claimReplyTurns,
  finishReplyTurn,
  prepareSend,
  recordSendOutcome,
  releaseReplyTurn,
  renewReplyLease,
  replyQueueDepth,
  storeReply,
} from './use-cases/replies/turns';
import { addPhoneNumber } from './use-cases/phone-numbers/add-phone-number';
import { deletePhoneNumber } from './use-cases/phone-numbers/delete-phone-number';
import { getPhoneNumber, listPhoneNumbers } from './use-cases/phone-numbers/read-phone-numbers';
import { updatePhoneNumber } from './use-cases/phone-numbers/update-phone-number';

/** Every use case, bound to the world's ports. Both dialects and the CLI call these and nothing else. */
export function createCore(deps: CoreDeps) {
  return {
    deps,
    createAgent: createAgent(deps),
    getAgent: getAgent(),
    listAgents: listAgents(),
    updateAgent: updateAgent(deps),
    deleteAgent: deleteAgent(deps),
    addPhoneNumber: addPhoneNumber(deps),
    getPhoneNumber: getPhoneNumber(),
    listPhoneNumbers: listPhoneNumbers(),
    updatePhoneNumber: updatePhoneNumber(deps),
    deletePhoneNumber: deletePhoneNumber(deps),
    getConversation: getConversation(),
    listConversations: listConversations(),
    listMessages: listMessages(),
    recordInboundMessages: recordInboundMessages(deps),
    recordDelivery: recordDelivery(deps),
    applyDeliveryStatuses: applyDeliveryStatuses(),
    claimReplyTurns: claimReplyTurns(deps),
    renewReplyLease: renewReplyLease(deps),
    beginReplyTurn: beginReplyTurn(deps),
    storeReply: storeReply(deps),
    prepareSend: prepareSend(deps),
    recordSendOutcome: recordSendOutcome(deps),
    finishReplyTurn: finishReplyTurn(deps),
    releaseReplyTurn: releaseReplyTurn(deps),
    replyQueueDepth: replyQueueDepth(deps),
    createOrg: createOrg(deps),
    countOrgs: countOrgs(),
    listOrgs: listOrgs(),
    getOrgSummary: getOrgSummary(deps),
    createUser: createUser(deps),
    resolvePathUser: resolvePathUser(),
    listUsers: listUsers(),
    createApiKey: createApiKey(deps),
    revokeApiKey: revokeApiKey(deps),
    listApiKeys: listApiKeys(),
    authenticate: authenticate(deps),
    touchApiKey: touchApiKey(deps),
    actorFor,
  };
}

export type Core = ReturnType<typeof createCore>;
