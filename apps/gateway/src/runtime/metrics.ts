import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's Prometheus metrics (`GET /metrics`): reply turns by outcome, model and send latency,
 * and the reply queue's depth, read from the database when scraped (so every instance reports the
 * shared queue). Plus prom-client's process metrics.
 */
export interface GatewayMetrics {
  registry: Registry;
  turns: Counter<'outcome'>;
  modelLatency: Histogram<'outcome'>;
  sendLatency: Histogram<'platform' | 'outcome'>;
}

export function createMetrics(queueDepth: () => Promise<{ due: number; waiting: number; held: number }>): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
  const turns = new Counter({
    name: 'gateway_reply_turns_total',
    help: 'Reply turns that ended, by outcome (replied, model_failed, send_failed, dropped, settled, lost, error).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const modelLatency = new Histogram({
    name: 'gateway_reply_model_seconds',
    help: 'One model call (Responses API), by outcome (ok, retryable, fatal).',
    labelNames: ['outcome'] as const,
    buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [registry],
  });
  const sendLatency = new Histogram({
    name: 'gateway_reply_send_seconds',
    help: 'One send to the Graph API, by platform and outcome (ok, retryable, fatal, auth, unknown).',
    labelNames: ['platform', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20],
    registers: [registry],
  });
  new Gauge({
    name: 'gateway_reply_queue_jobs',
    help: 'Conversations waiting for a reply, by state: due (ready to be taken), waiting (debounce), held (being answered).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const depth = await queueDepth();
        this.set({ state: 'due' }, depth.due);
        this.set({ state: 'waiting' }, depth.waiting);
        this.set({ state: 'held' }, depth.held);
      } catch {
        // The database is away: the scrape still answers, without a stale depth.
        this.reset();
      }
    },
  });
  return { registry, turns, modelLatency, sendLatency };
}
