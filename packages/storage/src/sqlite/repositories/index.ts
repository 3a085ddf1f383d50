import type { Locks, Repositories } from '@gateway/core';
import type { SecretCipher } from '@gateway/platform';
import type { Connection } from '../connection';
import { apiKeyRepository, orgRepository, userRepository } from './accounts';
import { agentRepository } from './agents';
import { archivalRepository, conversationRepository, messageRepository } from './conversations';
import { idempotencyRepository } from './idempotency';
import { replyJobRepository } from '../../shared/replies';
import { phoneNumberRepository } from './phone-numbers';
import { sqliteStatements } from './statements';

/**
 * One writer connection runs every write alone (`BEGIN IMMEDIATE` behind the mutex, and SQLite's
 * own write lock across processes), so a write's decisions can never meet another write's: the
 * named locks have nothing left to do.
 */
const SINGLE_WRITER_LOCKS: Locks = {
  org: async () => {},
  phoneNumber: async () => {},
};

/**
 * Every repository on one connection. Each method runs its statements synchronously and returns an
 * already settled promise, so a `write` callback that awaits only these never yields the writer
 * connection to anyone else mid-transaction.
 */
export function sqliteRepositories(conn: Connection, cipher: SecretCipher): Repositories {
  return {
    locks: SINGLE_WRITER_LOCKS,
    orgs: orgRepository(conn),
    users: userRepository(conn),
    apiKeys: apiKeyRepository(conn),
    phoneNumbers: phoneNumberRepository(conn, cipher),
    agents: agentRepository(conn),
    conversations: conversationRepository(conn),
    messages: messageRepository(conn),
    archivals: archivalRepository(conn),
    idempotency: idempotencyRepository(conn),
    replyJobs: replyJobRepository(sqliteStatements(conn)),
  };
}
