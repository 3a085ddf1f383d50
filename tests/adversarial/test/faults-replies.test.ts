import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphStep, ResponsesStep } from '@gateway/gateway/testing/fakes';
import { OPENAI_KEY, replyWorld, type ReplyWorld } from '@gateway/gateway/testing/replies';
import { runs } from '../src/runs';
import { snapshot } from '../src/snapshot';

/**
 * The model API and the Graph API failing, hanging or answering garbage at every step of a reply:
 * the read receipt, each model attempt, each part's send. Whatever the script, a turn ends: no reply
 * is left pending, nothing is sent twice, a reply is `sent` only if Meta took it, every failure is
 * visible with its reason, the model is asked at most five times, and no secret reaches a log.
 */

const LONG = `${'Your parcel is on its way. '.repeat(60)}\n\n${'It should arrive by Friday. '.repeat(60)}`;

const modelStep: fc.Arbitrary<ResponsesStep> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<ResponsesStep>({ text: 'Happy to help.' }, { text: LONG }, { text: ['Two ', 'parts.'] }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom<ResponsesStep>(
      { status: 429, headers: { 'retry-after-ms': '5' } },
      { status: 500 },
      { status: 503 },
      { status: 400, error: { message: 'Invalid input', code: 'invalid_value' } },
      { status: 401, error: { message: 'Incorrect API key provided: sk-test-****', code: 'invalid_api_key' } },
      { status: 404, error: { message: 'The model does not exist', code: 'model_not_found' } },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<ResponsesStep>(
      { hang: true },
      { close: true },
      { garbage: '{"id": "resp_1", "output": [' },
      { garbage: '<html>bad gateway</html>', status: 502, contentType: 'text/html' },
      { response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [] } },
      { response: { output: [] } },
    ),
  },
);

const graphStep: fc.Arbitrary<GraphStep> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<GraphStep>({ ok: true }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom<GraphStep>(
      { error: { code: 130429 } },
      { error: { code: 131056 } },
      { error: { code: 131047 } },
      { error: { code: 131026 } },
      { error: { code: 190, status: 401 } },
      { error: { code: 10, status: 403 } },
      { error: { code: 100 } },
      { error: { code: 2, status: 500, type: 'OAuthException' } },
      { status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<GraphStep>({ hang: true }, { close: true }, { garbage: '{"messages": [' }, { ok: true, body: { unexpected: true } }),
  },
);

let w: ReplyWorld;
beforeAll(async () => {
  w = await replyWorld({ debounceMs: 10, modelTimeoutMs: 250, graphTimeoutMs: 250, worker: { retry: { baseMs: 5, maxDelayMs: 20 } } });
  await w.createAgent(w.gw.numbers.alice.id);
  await w.createAgent(w.gw.numbers.bob.id);
});
afterAll(async () => {
  await w?.close();
});

let customers = 0;

describe('replies under faults of the model API and the Graph API', () => {
  it('every scripted turn ends visibly: never pending, never sent twice, sent only when Meta took it, at most five model calls, no secret logged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('whatsapp' as const, 'instagram' as const),
        fc.array(modelStep, { minLength: 1, maxLength: 6 }),
        fc.array(graphStep, { minLength: 1, maxLength: 6 }),
        fc.array(graphStep, { maxLength: 2 }),
        async (platform, modelSteps, graphSteps, readSteps) => {
          w.model.reset();
          w.graph.reset();
          w.model.setDefault({ text: 'Happy to help.' });
          w.graph.setDefault({ ok: true });
          w.model.script(...modelSteps);
          w.graph.script(...graphSteps);
          w.graph.scriptReads(...readSteps);
          const turnsBefore = w.turns().length;
          const customer = platform === 'whatsapp' ? `1555${String(++customers).padStart(7, '0')}` : `77${String(++customers).padStart(14, '0')}`;
          if (platform === 'whatsapp') await w.whatsapp(['Where is my parcel?'], customer);
          else await w.instagram('Where is my parcel?', customer);

          await w.until(
            async () => ({ turns: w.turns().length, depth: await w.depth() }),
            (s) => s.turns > turnsBefore && s.depth.due + s.depth.waiting + s.depth.held === 0,
            20_000,
          );
          const state = await snapshot(w.gw.database);
          const conversation = state.conversations.find((c) => c.customer_id === customer)!;
          const replies = state.messages.filter((m) => m.conversation_id === conversation.id && m.role === 'assistant');
          const sends = w.graph.sends().filter((r) => {
            const body = r.body as { to?: string; recipient?: { id?: string } };
            return body.to === customer || body.recipient?.id === customer;
          });
          expect(replies.length).toBeGreaterThan(0);
          for (const reply of replies) {
            expect(['sent', 'failed']).toContain(reply.status);
            if (reply.status === 'failed') expect(String(reply.failure_reason ?? '')).not.toBe('');
            else expect(reply.failure_reason).toBeNull();
          }
          // Meta accepted (answered with an id) at most one send per part: a retry follows only a
          // send Meta refused. A part is `sent` only with the id Meta gave it.
          const accepted = w.graph.sentIds;
          expect(accepted.length, JSON.stringify(replies.map((r) => [r.status, r.failure_reason]))).toBeLessThanOrEqual(replies.length);
          const sent = replies.filter((r) => r.status === 'sent');
          for (const reply of sent) expect(accepted).toContain(reply.platform_message_id);
          expect(new Set(sent.map((r) => r.platform_message_id)).size).toBe(sent.length);
          expect(sends.length).toBeGreaterThanOrEqual(sent.length);
          expect(w.model.requests.length).toBeLessThanOrEqual(5);
          const logged = JSON.stringify(w.logs);
          for (const secret of ['EAAG-alice-secret', 'IGQ-bob-secret', OPENAI_KEY, 'Where is my parcel', 'Happy to help']) expect(logged).not.toContain(secret);
        },
      ),
      runs(30),
    );
  });
});
