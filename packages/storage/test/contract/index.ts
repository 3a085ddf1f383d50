import { describe } from 'vitest';
import { accountsContract } from './accounts';
import { agentsContract } from './agents';
import { conversationsContract } from './conversations';
import type { OpenStore } from './fixtures';
import { idempotencyContract } from './idempotency';
import { phoneNumbersContract } from './phone-numbers';
import { repliesContract } from './replies';
import { unitOfWorkContract } from './unit-of-work';
import { useCaseRacesContract } from './use-case-races';

export type { OpenedStore, OpenStore } from './fixtures';

/**
 * The storage contract: every repository method and the unit of work, written against the ports
 * only, so that every driver (SQLite, the in-memory fake, later PostgreSQL) runs it unchanged.
 * `open` must return a fresh, empty store each time; it is called once per test.
 */
export interface DriverCapabilities {
  /**
   * The driver runs writes one at a time (SQLite's single writer, the in-memory fake). PostgreSQL
   * runs them concurrently; the use-case races hold on both.
   */
  serialWrites: boolean;
}

export function runStorageContract(name: string, open: OpenStore, capabilities: DriverCapabilities = { serialWrites: true }): void {
  describe(`storage contract: ${name}`, () => {
    accountsContract(open);
    phoneNumbersContract(open);
    agentsContract(open);
    conversationsContract(open);
    idempotencyContract(open);
    unitOfWorkContract(open, capabilities);
    useCaseRacesContract(open);
    repliesContract(open);
  });
}
