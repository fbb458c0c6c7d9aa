import 'server-only';
import { randomUUID } from 'node:crypto';
import { asc, eq, isNull, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { outbox } from '@/db/schema';
import { log } from '../log';
import { holdLease, releaseLease } from './lease';
import type { IntegrationMessage, Publisher } from './types';
import { onEnqueued } from './write';

export const RELAY_LEASE = 'outbox-relay';

type OutboxRow = typeof outbox.$inferSelect;

export const toMessage = (r: OutboxRow): IntegrationMessage => ({
  messageId: r.messageId,
  subject: r.subject as IntegrationMessage['subject'],
  partitionKey: r.partitionKey,
  payload: r.payload as Record<string, unknown>,
  correlationId: r.correlationId,
  createdAt: r.createdAt.toISOString(),
  position: r.position,
});

export type RelayResult = { published: number; failed: { messageId: string; error: string } | null; more: boolean };

/**
 * Publishes the oldest unpublished messages in outbox order, marking each once the publisher has it.
 * At least once: a crash between the publish and the mark publishes that message again next time
 * (JetStream drops the repeat inside its duplicate window, consumers skip it by id). The first failure
 * ends the batch, so nothing written after a message overtakes it.
 * `afterPublish` is a test hook: throwing there is a relay dying between publish and mark.
 */
export async function relayOnce(
  db: Db,
  publisher: Publisher,
  opts: { batchSize?: number; afterPublish?: (m: IntegrationMessage) => void | Promise<void> } = {},
): Promise<RelayResult> {
  const batchSize = opts.batchSize ?? 100;
  const rows = await db.select().from(outbox).where(isNull(outbox.publishedAt)).orderBy(asc(outbox.position)).limit(batchSize);
  let published = 0;
  for (const row of rows) {
    const message = toMessage(row);
    try {
      await publisher.publish(message);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      await db
        .update(outbox)
        .set({ attempts: sql`${outbox.attempts} + 1`, lastError: error.slice(0, 1000) })
        .where(eq(outbox.position, row.position));
      return { published, failed: { messageId: row.messageId, error }, more: true };
    }
    await opts.afterPublish?.(message);
    await db
      .update(outbox)
      .set({ publishedAt: new Date(), attempts: sql`${outbox.attempts} + 1`, lastError: null })
      .where(eq(outbox.position, row.position));
    published++;
  }
  return { published, failed: null, more: rows.length === batchSize };
}

export type RelayOptions = {
  publisher: Publisher;
  db?: () => Db;
  pollMs?: number;
  batchSize?: number;
  leaseSeconds?: number;
};

export type Relay = { stop: () => Promise<void>; readonly stopped: boolean; readonly holder: string };

const MAX_BACKOFF_MS = 30_000;

/**
 * The relay loop. Only the holder of the relay lease publishes, so messages leave in order even with
 * several app servers; another server takes over within `leaseSeconds` when the holder dies. Failures
 * back off exponentially; nothing escapes the loop. Timers are unref'd.
 */
export function createRelay(opts: RelayOptions): Relay {
  const dbOf = opts.db ?? getDb;
  const pollMs = opts.pollMs ?? 250;
  const leaseSeconds = opts.leaseSeconds ?? 10;
  const holder = randomUUID();
  let stopped = false;
  let failures = 0;
  // Renewed when half of it is left, so an idle relay writes about once per half lease, not per poll.
  let leaseUntil = 0;
  const holding = async (db: Db) => {
    if (Date.now() < leaseUntil - (leaseSeconds * 1000) / 2) return true;
    const started = Date.now();
    const held = await holdLease(db, RELAY_LEASE, holder, leaseSeconds);
    leaseUntil = held ? started + leaseSeconds * 1000 : 0;
    return held;
  };
  let wake: (() => void) | undefined;
  const unsubscribe = onEnqueued(() => wake?.());

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref?.();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = (async () => {
    while (!stopped) {
      let pause = pollMs;
      try {
        const db = dbOf();
        if (await holding(db)) {
          const r = await relayOnce(db, opts.publisher, { batchSize: opts.batchSize });
          if (r.failed) {
            failures++;
            pause = Math.min(MAX_BACKOFF_MS, pollMs * 2 ** Math.min(failures, 10));
            log.warn({ messageId: r.failed.messageId, err: r.failed.error, retryInMs: pause }, 'outbox publish failed');
          } else {
            failures = 0;
            if (r.more) pause = 0;
          }
        } else {
          pause = Math.max(pollMs, 1000); // another server relays; check now and then whether it still does
        }
      } catch (e) {
        failures++;
        pause = Math.min(MAX_BACKOFF_MS, pollMs * 2 ** Math.min(failures, 10));
        log.warn({ err: e, retryInMs: pause }, 'outbox relay round failed');
      }
      if (!stopped && pause > 0) await sleep(pause);
    }
  })();

  return {
    holder,
    get stopped() {
      return stopped;
    },
    stop: async () => {
      stopped = true;
      unsubscribe();
      wake?.();
      await loop;
      await releaseLease(dbOf(), RELAY_LEASE, holder).catch(() => {});
    },
  };
}
