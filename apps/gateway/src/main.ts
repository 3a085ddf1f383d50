import { buildServices } from './compose';
import { createGatewayApp } from './app';
import { clientBaseUrl, encryptionKeyWarning, exitOnConfigError, loadConfig, parseStartArgs, type GatewayConfig } from './config';
import { firstRunDemo } from './demo';
import { startIdempotencySweep } from './housekeeping';
import { createLogger, exitAfterFlush } from './logger';
import { openLimiters } from './limiters';
import { createGraphClient } from './runtime/graph';
import { createMetrics } from './runtime/metrics';
import { createModelClient } from './runtime/model';
import { startReplyWorker, type ReplyWorker } from './runtime/worker';
import { listen } from './server';
import { openGatewayStorage } from './storage';

/** How long in-flight requests get to finish after SIGTERM or SIGINT. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Signals this close to the first are the same stop: a terminal's Ctrl-C reaches every process of
 * the job, and pnpm passes it on to its child as well (and turns a second one into a SIGTERM), so a
 * single Ctrl-C under `pnpm start` can arrive twice or more within milliseconds.
 */
const SAME_STOP_MS = 1_000;

function fail(message: string): never {
  process.stderr.write(`startup error: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let args: { demo: boolean };
  try {
    args = parseStartArgs(process.argv.slice(2));
  } catch (error) {
    fail((error as Error).message);
  }
  let config: GatewayConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    exitOnConfigError(error);
  }
  const logger = createLogger(config.logLevel);
  const warning = encryptionKeyWarning(config);
  if (warning !== null) logger.warn(warning);

  const storage = await openGatewayStorage(config, { rateLimitCounters: config.redisUrl === null }).catch((error: unknown) =>
    fail(`cannot open the database: ${error instanceof Error ? error.message : String(error)}`),
  );
  const shared = openLimiters(config.redisUrl, storage);
  const services = buildServices(config, storage, logger, shared.limiters);
  const metrics = createMetrics(() => services.core.replyQueueDepth({ uow: storage.uow }));
  let worker: ReplyWorker | null = null;
  const app = createGatewayApp({
    services,
    storage,
    logger,
    meta: config.meta,
    corsOrigins: config.corsOrigins,
    metrics: { contentType: metrics.registry.contentType, metrics: () => metrics.registry.metrics() },
    onRepliesQueued: () => worker?.wake((config.replies?.debounceMs ?? 0) + 10),
  });
  const http = await listen(app.fetch, config).catch(async (error: NodeJS.ErrnoException) => {
    await storage.close();
    fail(
      error.code === 'EADDRINUSE'
        ? `${config.host}:${config.port} is already in use (set PORT or HOST)`
        : `cannot listen on ${config.host}:${config.port}: ${error.message}`,
    );
  });
  const stopSweep = startIdempotencySweep(storage.uow, services.core.deps.clock, logger);
  if (config.replies === null) {
    logger.warn('replies are off: OPENAI_API_KEY is not set, so messages are stored and nobody answers');
  } else {
    const replies = config.replies;
    worker = startReplyWorker({
      core: services.core,
      uow: storage.uow,
      model: createModelClient({ apiKey: replies.apiKey, baseURL: replies.baseUrl, defaultModel: replies.defaultModel, timeoutMs: replies.modelTimeoutMs }),
      graph: createGraphClient({ baseUrl: replies.graph.baseUrl, version: replies.graph.version }),
      logger,
      metrics,
      concurrency: replies.concurrency,
      history: replies.history,
      leaseMs: replies.leaseMs,
    });
    logger.info({ model: replies.defaultModel, concurrency: replies.concurrency, debounce_ms: replies.debounceMs }, 'replies are on');
  }

  let stoppingSince: number | null = null;
  const stop = async (signal: NodeJS.Signals) => {
    if (stoppingSince !== null) {
      if (performance.now() - stoppingSince < SAME_STOP_MS) return;
      logger.warn({ signal }, 'second signal: closing open connections now');
      http.forceClose();
      return;
    }
    stoppingSince = performance.now();
    stopSweep();
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    const [{ forced }, turns] = await Promise.all([http.shutdown(SHUTDOWN_GRACE_MS), worker?.stop(SHUTDOWN_GRACE_MS)]);
    if (forced) logger.warn(`requests still open after ${SHUTDOWN_GRACE_MS / 1000} s were cut off`);
    if (turns && turns.handedBack > 0) logger.warn({ turns: turns.handedBack }, 'reply turns still running were handed back to the queue');
    try {
      await shared.close();
      await storage.close();
    } catch (error) {
      logger.error({ err: error }, 'closing the database failed');
      exitAfterFlush(logger, 1);
      return;
    }
    logger.info('stopped');
    exitAfterFlush(logger, 0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
  // Announced only once the signal handlers are in place, so a supervisor may stop it right away.
  logger.info({ url: http.url, database: storage.kind }, `gateway listening on ${http.url}`);

  if (args.demo || config.demo) {
    // After listening, so the printed requests work as soon as they are shown (and a port that is
    // taken never swallows a token).
    await firstRunDemo({
      core: services.core,
      uow: storage.uow,
      baseUrl: clientBaseUrl(config),
      logger,
      print: (text) => process.stdout.write(text),
    }).catch((error: unknown) => logger.error({ err: error }, 'demo seeding failed'));
  }
}

await main();
