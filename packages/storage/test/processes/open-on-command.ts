/**
 * A child process for the concurrent start-up test: on each message naming a file it opens (and so
 * migrates) the SQLite storage there, closes it, and answers whether that worked.
 */
import { aesGcmCipher, generateKeyHex } from '@gateway/platform';
import { openSqliteStorage } from '../../src';

const cipher = aesGcmCipher(generateKeyHex());

process.on('message', async (file: string) => {
  try {
    const storage = openSqliteStorage({ file, cipher });
    const ready = await storage.ready();
    await storage.close();
    process.send?.({ ok: ready });
  } catch (error) {
    process.send?.({ ok: false, error: `${(error as Error).message} ${(error as { code?: string }).code ?? ''} ${(error as Error).stack?.split('\n').slice(1, 4).join(' | ')}` });
  }
});
process.send?.({ started: true });
