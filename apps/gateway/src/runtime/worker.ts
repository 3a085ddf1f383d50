import type { Core, Message, UnitOfWork } from '@gateway/core';
import { GraphError, type GraphClient } from './graph';
import type { GatewayMetrics } from './metrics';
import { ModelError, type ModelClient } from './model';
import { withRetries, type BackoffOptions, type RetryOptions } from './retry';
import { PLATFORM_LIMITS, splitReply } from './split';

/** What the worker logs through; a pino logger fits. */
export interface WorkerLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface ReplyWorkerOptions {
  core: Pick<
    Core,
    'claimReplyTurns' | 'renewReplyLease' | 'beginReplyTurn' | 'storeReply' | 'prepareSend' | 'recordSendOutcome' | 'finishReplyTurn' | 'releaseReplyTurn'
  >;
  uow: UnitOfWork;
  model: ModelClient;
  graph: GraphClient;
  logger: WorkerLogger;
  metrics?: GatewayMetrics;
  /** `REPLY_CONCURRENCY`: turns this instance answers at once. */
  concurrency: number;
  /** Turns of one org at once on this instance, so one busy org cannot take every slot (a quarter of `concurrency`, at least 1). */
  perOrg?: number;
  /** `REPLY_HISTORY`. */
  history: number;
  /** `REPLY_LEASE_MS`: renewed every third of it while a turn runs. */
  leaseMs: number;
  /** How often to look for due turns when nothing woke the worker (500 ms). */
  pollMs?: number;
  /** Backoff of model calls and sends (§8: at most 5 attempts within 2 minutes). */
  retry?: BackoffOptions & Pick<RetryOptions, 'attempts' | 'withinMs'>;
}

export interface ReplyWorker {
  /** Look for due turns in `delayMs` (sooner if a poll comes first). */
  wake(delayMs?: number): void;
  /** Stops taking turns; running ones get `graceMs` to finish, then are handed back. */
  stop(graceMs: number): Promise<{ handedBack: number }>;
  /** Turns running now. */
  running(): number;
}

type TurnOutcome = 'replied' | 'model_failed' | 'send_failed' | 'dropped' | 'settled' | 'lost' | 'error';

interface Running {
  orgId: string;
  epoch: number;
  done: Promise<void>;
}

/**
 * The reply worker (§8), one per instance: it claims due turns from the shared queue (a lease with an
 * epoch; on PostgreSQL `FOR UPDATE SKIP LOCKED`, so instances never take the same turn), and runs
 * each: begin (settle what a crash left, read the agent for this turn) → mark read → model → store
 * the reply `pending` → for each part, check again and send → record → finish. Every step is fenced
 * by the claim's epoch: a worker whose lease was taken over stores and sends nothing more.
 */
export function startReplyWorker(options: ReplyWorkerOptions): ReplyWorker {
  const { core, uow, model, graph, logger, metrics } = options;
  const perOrg = options.perOrg ?? Math.max(1, Math.floor(options.concurrency / 4));
  const pollMs = options.pollMs ?? 500;
  const running = new Map<string, Running>();
  const flaggedNumbers = new Set<string>();
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  let ticking = false;
  let again = false;
  let storageDown = false;

  const schedule = (delayMs: number) => {
    if (stopping) return;
    const at = Date.now() + delayMs;
    if (timer !== null && at >= timerAt) return;
    if (timer !== null) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = null;
      timerAt = Infinity;
      void tick();
    }, delayMs);
    timer.unref();
  };

  const tick = async () => {
    if (stopping) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      // One claim per free slot, so the per-org bound holds for every turn taken.
      while (!stopping && running.size < options.concurrency) {
        const perOrgCount = new Map<string, number>();
        for (const turn of running.values()) perOrgCount.set(turn.orgId, (perOrgCount.get(turn.orgId) ?? 0) + 1);
        const busy = [...perOrgCount].filter(([, n]) => n >= perOrg).map(([org]) => org);
        const [job] = await core.claimReplyTurns({ uow, leaseMs: options.leaseMs, limit: 1, skipOrgIds: busy });
        if (storageDown) {
          storageDown = false;
          logger.info({}, 'reply worker: the database answers again');
        }
        if (!job) break;
        const turn: Running = { orgId: job.orgId, epoch: job.epoch, done: Promise.resolve() };
        running.set(job.conversationId, turn);
        turn.done = runTurn(job.conversationId, job.epoch, job.attempts).finally(() => {
          if (running.get(job.conversationId) === turn) running.delete(job.conversationId);
          schedule(0);
        });
      }
    } catch (error) {
      if (!storageDown) logger.warn({ err: error }, 'reply worker: cannot take turns while the database is unavailable; retrying');
      storageDown = true;
    } finally {
      ticking = false;
      if (again) {
        again = false;
        schedule(0);
      }
      schedule(pollMs);
    }
  };

  const retry = (onAttempt: () => void): RetryOptions => ({ ...options.retry, onRetry: onAttempt });

  async function runTurn(conversationId: string, epoch: number, claims: number): Promise<void> {
    const started = performance.now();
    const line: Record<string, unknown> = { conversation_id: conversationId, epoch, claims };
    let outcome: TurnOutcome = 'error';
    const heartbeat = setInterval(() => {
      core.renewReplyLease({ uow, conversationId, epoch, leaseMs: options.leaseMs }).then(
        (held) => {
          if (!held) clearInterval(heartbeat);
        },
        () => {},
      );
    }, Math.max(100, Math.floor(options.leaseMs / 3)));
    heartbeat.unref();
    let finish = false;
    try {
      const start = await core.beginReplyTurn({ uow, conversationId, epoch, historyLimit: options.history });
      if (start.kind !== 'answer') {
        outcome = start.kind;
        if (start.kind === 'dropped') line.reason = start.reason;
        if (start.kind === 'settled') line.interrupted = start.interrupted;
        return;
      }
      finish = true;
      const { agent, phone } = start;
      line.agent_id = agent.id;
      line.platform = phone.platform;
      if (start.interrupted > 0) line.interrupted = start.interrupted;

      // The customer sees it coming; its failure never stops the reply.
      if (start.readReceiptToken !== null && start.lastCustomerMessage?.platformMessageId) {
        graph
          .markRead({ metaPhoneNumberId: phone.metaPhoneNumberId, accessToken: start.readReceiptToken, messageId: start.lastCustomerMessage.platformMessageId })
          .catch((error: unknown) => {
            line.read_receipt = error instanceof GraphError ? error.kind : 'failed';
          });
      }

      let attempts = 0;
      let text: string;
      try {
        const reply = await withRetries(
          async () => {
            attempts++;
            const t0 = performance.now();
            try {
              const answer = await model.reply({
                model: agent.model,
                instructions: agent.instructions,
                promptId: agent.promptId,
                includeSystemPrompt: agent.includeSystemPrompt,
                channel: phone.platform,
                history: modelHistory(start.history),
              });
              metrics?.modelLatency.observe({ outcome: 'ok' }, (performance.now() - t0) / 1000);
              line.model_latency_ms = Math.round(answer.latencyMs);
              return answer;
            } catch (error) {
              metrics?.modelLatency.observe({ outcome: error instanceof ModelError ? error.kind : 'error' }, (performance.now() - t0) / 1000);
              throw error;
            }
          },
          retry(() => {}),
        );
        text = reply.text;
      } catch (error) {
        line.model_attempts = attempts;
        const reason = error instanceof ModelError ? error.reason : 'model call failed';
        line.model_error = reason;
        const stored = await core.storeReply({ uow, conversationId, epoch, parts: [], failureReason: reason });
        outcome = stored.kind === 'stored' ? 'model_failed' : stored.kind;
        if (stored.kind === 'dropped') line.reason = stored.reason;
        finish = stored.kind === 'stored';
        return;
      }
      line.model_attempts = attempts;

      const parts = splitReply(text, PLATFORM_LIMITS[phone.platform]);
      const stored = await core.storeReply({ uow, conversationId, epoch, parts });
      if (stored.kind !== 'stored') {
        outcome = stored.kind;
        if (stored.kind === 'dropped') line.reason = stored.reason;
        finish = false;
        return;
      }
      line.parts = stored.messages.length;
      const sent = await sendParts(conversationId, epoch, stored.messages, line);
      outcome = sent;
      if (sent === 'lost') finish = false;
    } catch (error) {
      outcome = 'error';
      finish = false;
      logger.error({ err: error, conversation_id: conversationId }, 'reply turn failed; it is taken up again when its lease runs out');
    } finally {
      clearInterval(heartbeat);
      if (finish) {
        const ended = await core.finishReplyTurn({ uow, conversationId, epoch }).catch(() => null);
        if (ended === 'again') line.next_turn = true;
        if (ended === 'lost') outcome = 'lost';
      }
      line.outcome = outcome;
      line.duration_ms = Math.round(performance.now() - started);
      metrics?.turns.inc({ outcome });
      logger.info(line, 'reply turn');
    }
  }

  /** Sends the stored parts in order; a part that fails for good fails the ones after it too. */
  async function sendParts(conversationId: string, epoch: number, parts: readonly Message[], line: Record<string, unknown>): Promise<TurnOutcome> {
    const results: string[] = [];
    let failedFor: string | null = null;
    for (const part of parts) {
      if (failedFor !== null) {
        await core.recordSendOutcome({ uow, messageId: part.id, outcome: { kind: 'failed', reason: failedFor } });
        results.push('failed');
        continue;
      }
      const permit = await core.prepareSend({ uow, conversationId, epoch, messageId: part.id });
      if (permit.kind === 'lost') {
        line.send = [...results, 'lost'];
        return 'lost';
      }
      if (permit.kind === 'skipped') {
        results.push(permit.reason);
        continue;
      }
      let attempts = 0;
      try {
        const { metaMessageId } = await withRetries(
          async () => {
            attempts++;
            const t0 = performance.now();
            try {
              const answer = await graph.sendText({
                platform: permit.phone.platform,
                metaPhoneNumberId: permit.phone.metaPhoneNumberId,
                accessToken: permit.accessToken,
                to: permit.customerId,
                text: permit.message.text,
                callbackData: permit.message.id,
              });
              metrics?.sendLatency.observe({ platform: permit.phone.platform, outcome: 'ok' }, (performance.now() - t0) / 1000);
              return answer;
            } catch (error) {
              metrics?.sendLatency.observe({ platform: permit.phone.platform, outcome: error instanceof GraphError ? error.kind : 'error' }, (performance.now() - t0) / 1000);
              throw error;
            }
          },
          retry(() => {}),
        );
        await core.recordSendOutcome({ uow, messageId: part.id, outcome: { kind: 'sent', platformMessageId: metaMessageId } });
        results.push('sent');
      } catch (error) {
        const graphError = error instanceof GraphError ? error : null;
        if (graphError?.kind === 'unknown') {
          // Meta may have it: never sent again blindly; its status callback settles it.
          await core.recordSendOutcome({ uow, messageId: part.id, outcome: { kind: 'interrupted' } });
          results.push('interrupted');
          continue;
        }
        const reason = graphError?.reason ?? 'send failed';
        await core.recordSendOutcome({ uow, messageId: part.id, outcome: { kind: 'failed', reason } });
        results.push('failed');
        failedFor = reason;
        if (graphError?.kind === 'auth' && !flaggedNumbers.has(permit.phone.id)) {
          flaggedNumbers.add(permit.phone.id);
          logger.error(
            { phone_number_id: permit.phone.id, platform: permit.phone.platform, meta_code: graphError.code },
            'the access token of this number was refused by Meta: replies fail until it is replaced (PATCH the phone number with a new access_token)',
          );
        }
      } finally {
        line.send_attempts = ((line.send_attempts as number | undefined) ?? 0) + attempts;
      }
    }
    line.send = results;
    return results.includes('sent') ? 'replied' : 'send_failed';
  }

  schedule(0);

  return {
    wake(delayMs = 0) {
      schedule(delayMs);
    },
    async stop(graceMs) {
      stopping = true;
      if (timer !== null) clearTimeout(timer);
      const turns = [...running.entries()];
      const all = Promise.all(turns.map(([, t]) => t.done));
      const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
      let handedBack = 0;
      if (timedOut) {
        for (const [conversationId, turn] of running) {
          if (await core.releaseReplyTurn({ uow, conversationId, epoch: turn.epoch }).catch(() => false)) handedBack++;
        }
      }
      return { handedBack };
    },
    running: () => running.size,
  };
}

/** What the model sees: the stored messages in order, without failed (empty) replies. */
function modelHistory(messages: readonly Message[]) {
  return messages
    .filter((m) => !(m.role === 'assistant' && m.status === 'failed') && m.text.trim() !== '')
    .map((m) => ({ role: m.role, content: m.text }));
}
