/**
 * The bare baseline: `node:http` with no framework, answering the same way as `baseline.ts`
 * (GET: a small JSON object; POST: the JSON body parsed and echoed with 201). The gateway's numbers
 * are also read as ratios to this one, measured in the same run.
 */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  if (req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: string;
      try {
        body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid JSON"}');
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    return;
  }
  const body = JSON.stringify({ path: (req.url ?? '/').split('?')[0], ok: true });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
});

const port = Number(process.env.PORT);
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
