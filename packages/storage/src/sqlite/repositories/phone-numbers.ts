import type { PhoneNumberRepository, Visibility } from '@gateway/core';
import type { SecretCipher } from '@gateway/platform';
import type { Connection } from '../connection';
import { guarded, phoneNumberExists } from '../constraints';
import { listPage } from '../paging';
import { PHONE_NUMBER_COLUMNS, phoneNumberFromRow, phoneNumberParams, type PhoneNumberRow } from '../rows';

const toMeta = (target: string) =>
  target === 'phone_numbers.platform, phone_numbers.meta_phone_number_id' ? phoneNumberExists() : undefined;

/** The caller's live numbers: its org's, and with `ownerUserId` only that user's. */
function visible(v: Visibility): { where: string[]; params: Record<string, unknown> } {
  const where = ['org_id = @org_id', 'deleted_at IS NULL'];
  if (v.ownerUserId !== undefined) where.push('user_id = @owner_user_id');
  return { where, params: { org_id: v.orgId, owner_user_id: v.ownerUserId } };
}

/** Access tokens are sealed with `cipher` before they reach the database, and opened only for a send (`accessToken`). */
export function phoneNumberRepository(conn: Connection, cipher: SecretCipher): PhoneNumberRepository {
  return {
    async insert(phone) {
      const params = phoneNumberParams(phone, phone.accessToken === undefined ? null : cipher.seal(phone.accessToken));
      guarded(
        () =>
          conn
            .stmt(
              `INSERT INTO phone_numbers (id, org_id, user_id, platform, meta_phone_number_id, display_name, waba_id,
                 access_token, created_at, updated_at, deleted_at)
               VALUES (@id, @org_id, @user_id, @platform, @meta_phone_number_id, @display_name, @waba_id,
                 @access_token, @created_at, @updated_at, @deleted_at)`,
            )
            .run(params),
        toMeta,
      );
    },
    async update(phone) {
      const params = phoneNumberParams(phone, phone.accessToken === undefined ? null : cipher.seal(phone.accessToken));
      guarded(
        () =>
          conn
            .stmt(
              `UPDATE phone_numbers SET org_id = @org_id, user_id = @user_id, platform = @platform,
                 meta_phone_number_id = @meta_phone_number_id, display_name = @display_name, waba_id = @waba_id,
                 access_token = coalesce(@access_token, access_token),
                 created_at = @created_at, updated_at = @updated_at, deleted_at = @deleted_at
               WHERE id = @id`,
            )
            .run(params),
        toMeta,
      );
    },
    async get(v, id) {
      const sql =
        v.ownerUserId === undefined
          ? `SELECT ${PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE id = @id AND org_id = @org_id AND deleted_at IS NULL`
          : `SELECT ${PHONE_NUMBER_COLUMNS} FROM phone_numbers
             WHERE id = @id AND org_id = @org_id AND user_id = @owner_user_id AND deleted_at IS NULL`;
      const row = conn.stmt(sql).get({ id, org_id: v.orgId, owner_user_id: v.ownerUserId }) as PhoneNumberRow | undefined;
      return row ? phoneNumberFromRow(row) : null;
    },
    async findByMeta(platform, metaPhoneNumberId) {
      const row = conn
        .stmt(
          `SELECT ${PHONE_NUMBER_COLUMNS} FROM phone_numbers
           WHERE platform = ? AND meta_phone_number_id = ? AND deleted_at IS NULL`,
        )
        .get(platform, metaPhoneNumberId) as PhoneNumberRow | undefined;
      return row ? phoneNumberFromRow(row) : null;
    },
    async byId(id) {
      const row = conn.stmt(`SELECT ${PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE id = ? AND deleted_at IS NULL`).get(id) as PhoneNumberRow | undefined;
      return row ? phoneNumberFromRow(row) : null;
    },
    async accessToken(id) {
      const row = conn.stmt('SELECT access_token FROM phone_numbers WHERE id = ? AND deleted_at IS NULL').get(id) as { access_token: string | null } | undefined;
      return row?.access_token ? cipher.open(row.access_token) : null;
    },
    async list(v, filter, page) {
      const { where, params } = visible(v);
      if (filter.platform !== undefined) {
        where.push('platform = @platform');
        params.platform = filter.platform;
      }
      return listPage(
        conn,
        {
          columns: PHONE_NUMBER_COLUMNS,
          from: 'phone_numbers',
          where,
          params,
          at: 'created_at',
          id: 'id',
          direction: 'DESC',
          map: phoneNumberFromRow,
          keyOf: (p) => ({ at: p.createdAt, id: p.id }),
        },
        page,
      );
    },
  };
}
