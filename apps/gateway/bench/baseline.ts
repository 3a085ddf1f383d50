/**
 * The benchmark's baseline: a Hono server on the same Node adapter that only parses and echoes
 * JSON. The gateway's numbers are read as ratios to this one, measured in the same run.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('*', async (c) => c.json(await c.req.json(), 201));
app.get('*', (c) => c.json({ path: c.req.path, ok: true }));

const port = Number(process.env.PORT);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
