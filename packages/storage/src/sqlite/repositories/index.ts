import type { Repositories } from '@gateway/core';
import type { SecretCipher } from '@gateway/platform';
import type { Connection } from '../connection';
import { apiKeyRepository, orgRepository, userRepository } from './accounts';
import { agentRepository } from './agents';
import { archivalRepository, conversationRepository, messageRepository } from './conversations';
import { idempotencyRepository } from './idempotency';
import { phoneNumberRepository } from './phone-numbers';

/**
 * Every repository on one connection. Each method runs its statements synchronously and returns an
 * already settled promise, so a `write` callback that awaits only these never yields the writer
 * connection to anyone else mid-transaction.
 */
export function sqliteRepositories(conn: Connection, cipher: SecretCipher): Repositories {
  return {
    orgs: orgRepository(conn),
    users: userRepository(conn),
    apiKeys: apiKeyRepository(conn),
    phoneNumbers: phoneNumberRepository(conn, cipher),
    agents: agentRepository(conn),
    conversations: conversationRepository(conn),
    messages: messageRepository(conn),
    archivals: archivalRepository(conn),
    idempotency: idempotencyRepository(conn),
  };
}
