import { aesGcmCipher, generateKeyHex } from '@gateway/platform';
import { afterAll, beforeAll } from 'vitest';
import { openPostgresStorage } from '../src';
import { runStorageContract } from './contract';
import { createDatabase, postgresServerUrl, truncateAll } from './postgres-database';

const serverUrl = postgresServerUrl();
const cipher = aesGcmCipher(generateKeyHex());
let database: { url: string; drop(): Promise<void> } | undefined;

beforeAll(async () => {
  database = await createDatabase(serverUrl, 'contract', { migrated: true });
});
afterAll(async () => {
  await database?.drop();
});

{
  runStorageContract(
    'postgres',
    async () => {
      await truncateAll(database!.url);
      // Tests need no durability across a crash of the test server: commits do not wait for the disk.
      return openPostgresStorage({ url: `${database!.url}?options=${encodeURIComponent('-c synchronous_commit=off')}`, cipher, poolSize: 8 });
    },
    { serialWrites: false },
  );
}
