import type { Clock, UnitOfWork } from '@gateway/core';
import type { Logger } from './logger';

/** How often expired Idempotency-Key records (kept 24 hours) are deleted. */
export const IDEMPOTENCY_SWEEP_MS = 60 * 60 * 1000;

/**
 * Deletes expired idempotency records now and then every hour. A failed sweep is logged and tried
 * again at the next tick; the timer never keeps the process alive.
 */
export function startIdempotencySweep(uow: UnitOfWork, clock: Clock, logger: Logger, everyMs = IDEMPOTENCY_SWEEP_MS): () => void {
  const sweep = async () => {
    try {
      const purged = await uow.write((repos) => repos.idempotency.purgeExpired(clock.now()));
      if (purged > 0) logger.info({ purged }, 'expired idempotency records deleted');
    } catch (error) {
      logger.error({ err: error }, 'idempotency sweep failed');
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
