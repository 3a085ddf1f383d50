import type { ApiKeyRepository, OrgRepository, UserRepository } from '@gateway/core';
import type { Connection } from '../connection';
import { emailTaken, guarded } from '../constraints';
import {
  apiKeyFromRow,
  apiKeyParams,
  orgFromRow,
  orgParams,
  userFromRow,
  userParams,
  type ApiKeyRow,
  type OrgRow,
  type UserRow,
} from '../rows';

export function orgRepository(conn: Connection): OrgRepository {
  return {
    async insert(org) {
      conn
        .stmt('INSERT INTO orgs (id, name, plan, created_at, updated_at) VALUES (@id, @name, @plan, @created_at, @updated_at)')
        .run(orgParams(org));
    },
    async get(id) {
      const row = conn.stmt('SELECT * FROM orgs WHERE id = ?').get(id) as OrgRow | undefined;
      return row ? orgFromRow(row) : null;
    },
    async count() {
      return (conn.stmt('SELECT count(*) AS n FROM orgs').get() as { n: number }).n;
    },
    async list() {
      const rows = conn.stmt('SELECT * FROM orgs ORDER BY created_at DESC, id DESC').all() as OrgRow[];
      return rows.map(orgFromRow);
    },
  };
}

export function userRepository(conn: Connection): UserRepository {
  return {
    async insert(user) {
      guarded(
        () =>
          conn
            .stmt(
              `INSERT INTO users (id, org_id, name, email, created_at, updated_at)
               VALUES (@id, @org_id, @name, @email, @created_at, @updated_at)`,
            )
            .run(userParams(user)),
        (target) => (target === 'users.email' ? emailTaken() : undefined),
      );
    },
    async get(orgId, id) {
      // Every legacy request reads its path's user: kept by the reader while nothing is written.
      return conn.cached(`user\0${orgId}\0${id}`, () => {
        const row = conn.stmt('SELECT * FROM users WHERE id = ? AND org_id = ?').get(id, orgId) as UserRow | undefined;
        return row ? userFromRow(row) : null;
      });
    },
    async list(orgId) {
      const rows = conn.stmt('SELECT * FROM users WHERE org_id = ? ORDER BY created_at DESC, id DESC').all(orgId) as UserRow[];
      return rows.map(userFromRow);
    },
  };
}

export function apiKeyRepository(conn: Connection): ApiKeyRepository {
  return {
    async insert(key) {
      conn
        .stmt(
          `INSERT INTO api_keys (id, org_id, user_id, name, scopes, token_hash, last_used_at, expires_at, revoked_at, created_at)
           VALUES (@id, @org_id, @user_id, @name, @scopes, @token_hash, @last_used_at, @expires_at, @revoked_at, @created_at)`,
        )
        .run(apiKeyParams(key));
    },
    async get(id) {
      const row = conn.stmt('SELECT * FROM api_keys WHERE id = ?').get(id) as ApiKeyRow | undefined;
      return row ? apiKeyFromRow(row) : null;
    },
    async findByHash(tokenHash) {
      const row = conn.stmt('SELECT * FROM api_keys WHERE token_hash = ?').get(tokenHash) as ApiKeyRow | undefined;
      return row ? apiKeyFromRow(row) : null;
    },
    async list(orgId) {
      const rows = conn.stmt('SELECT * FROM api_keys WHERE org_id = ? ORDER BY created_at DESC, id DESC').all(orgId) as ApiKeyRow[];
      return rows.map(apiKeyFromRow);
    },
    async touch(id, at) {
      conn
        .stmt('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < ?)')
        .run(at, id, at);
    },
    async revoke(id, at) {
      return conn.stmt('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes === 1;
    },
  };
}
