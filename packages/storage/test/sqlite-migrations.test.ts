import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aesGcmCipher, generateKeyHex } from '@gateway/platform';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../src';
import { SQLITE_MIGRATIONS_FOLDER } from '../src/sqlite/open';

const dir = mkdtempSync(join(tmpdir(), 'gateway-storage-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the migrations folder holding only the first `count` migrations. */
function firstMigrations(count: number): string {
  const folder = join(dir, `migrations-${count}`);
  cpSync(SQLITE_MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalFile = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: unknown[] };
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, count) }));
  return folder;
}

describe('SQLite migrations', () => {
  it('0001 (conversations without an agent) and 0002 (replies) keep every row of a database made by 0000, foreign keys included', async () => {
    const file = join(dir, 'upgraded.db');
    const old = new Database(file);
    migrate(drizzle(old), { migrationsFolder: firstMigrations(1) });
    const t = 1_790_000_000_000;
    old.exec(`
      INSERT INTO orgs (id, name, plan, created_at, updated_at) VALUES ('org_1', 'Acme', 'pro', ${t}, ${t});
      INSERT INTO users (id, org_id, name, email, created_at, updated_at) VALUES ('usr_1', 'org_1', 'Alice', NULL, ${t}, ${t});
    `);
    const cipher = aesGcmCipher(generateKeyHex());
    old
      .prepare(
        `INSERT INTO phone_numbers (id, org_id, user_id, platform, meta_phone_number_id, display_name, waba_id, access_token, created_at, updated_at)
         VALUES ('pn_1', 'org_1', 'usr_1', 'whatsapp', '106540352242922', NULL, NULL, ?, ${t}, ${t})`,
      )
      .run(cipher.seal('EAAG-token'));
    const agentColumns = (old.prepare("SELECT name FROM pragma_table_info('agents')").all() as { name: string }[]).map((c) => c.name);
    const agentValues: Record<string, unknown> = {
      id: 'agent_1', org_id: 'org_1', user_id: 'usr_1', handle: 'front', name: 'Front', description: null, instructions: 'Help.',
      instructions_html: null, prompt_id: null, phone_number_id: 'pn_1', model: null, color: '#6366f1', avatar: null,
      include_system_prompt: 1, tools: '[]', connectors: '[]', sub_agents: '[]', data_sources: '[]', is_active: 1,
      deactivated_reason: null, deactivated_at: null, created_at: t, updated_at: t, deleted_at: null,
    };
    old.prepare(`INSERT INTO agents (${agentColumns.join(', ')}) VALUES (${agentColumns.map((c) => `@${c}`).join(', ')})`).run(
      Object.fromEntries(agentColumns.map((c) => [c, agentValues[c] ?? null])),
    );
    old.exec(`
      INSERT INTO conversations (id, org_id, phone_number_id, agent_id, customer_id, status, archived_at, archive_reason, message_count, last_message_at, created_at, updated_at)
        VALUES ('conv_1', 'org_1', 'pn_1', 'agent_1', '15551234567', 'active', NULL, NULL, 1, ${t + 5}, ${t}, ${t + 5});
      INSERT INTO messages (id, conversation_id, phone_number_id, seq, role, text, type, platform_message_id, created_at)
        VALUES ('msg_1', 'conv_1', 'pn_1', 1, 'user', 'Where is my order?', 'text', 'wamid.1', ${t + 5});
      INSERT INTO archival_records (id, org_id, phone_number_id, previous_agent_id, new_agent_id, conversations_archived, created_at)
        VALUES ('arc_1', 'org_1', 'pn_1', 'agent_1', 'agent_1', 0, ${t});
    `);
    old.close();

    const storage = openSqliteStorage({ file, cipher });
    try {
      expect(await storage.ready()).toBe(true);
      const conversation = await storage.uow.read((repos) => repos.conversations.get({ orgId: 'org_1' }, 'conv_1'));
      expect(conversation).toMatchObject({ agentId: 'agent_1', status: 'active', messageCount: 1, lastMessageAt: t + 5 });
      const messages = await storage.uow.read((repos) => repos.messages.list('conv_1', { kind: 'offset', limit: 10, offset: 0 }));
      expect(messages.items.map((m) => m.text)).toEqual(['Where is my order?']);
      // 0002 (replies): a customer message stored before it reads as received, with no failure.
      expect(messages.items.map((m) => [m.status, m.failureReason])).toEqual([['received', null]]);
      expect(await storage.uow.read((repos) => repos.replyJobs.depth(t))).toEqual({ due: 0, waiting: 0, held: 0 });
      expect(await storage.uow.read((repos) => repos.archivals.listByPhoneNumber('pn_1'))).toHaveLength(1);
      // The list index on the generated activity column came back: conversations list in activity order.
      const listed = await storage.uow.read((repos) => repos.conversations.list({ orgId: 'org_1' }, {}, { kind: 'keyset', limit: 10, after: null }));
      expect(listed.items.map((c) => c.id)).toEqual(['conv_1']);
    } finally {
      await storage.close();
    }
    const check = new Database(file, { readonly: true });
    try {
      expect(check.pragma('foreign_key_check')).toEqual([]);
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      const indexes = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversations'").all() as { name: string }[]).map((r) => r.name);
      expect(indexes).toEqual(expect.arrayContaining(['conversations_active_customer_uq', 'conversations_org_list_idx', 'conversations_phone_idx', 'conversations_agent_idx']));
    } finally {
      check.close();
    }
  });
});
