import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aesGcmCipher, generateKeyHex } from '@gateway/platform';
import { afterAll } from 'vitest';
import { openSqliteStorage } from '../src';
import { runStorageContract } from './contract';

const dir = mkdtempSync(join(tmpdir(), 'gateway-storage-contract-'));
const cipher = aesGcmCipher(generateKeyHex());
let n = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStorageContract('sqlite', async () => openSqliteStorage({ file: join(dir, `test-${++n}.db`), cipher }));
