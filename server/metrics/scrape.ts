import 'server-only';
import { isNull, sql } from 'drizzle-orm';
import { getDb, type Db } from '@/db/client';
import { orderProcesses, outbox } from '@/db/schema';
import { log } from '../log';
import { subscriberLag } from '../subscribers';
import { appMetrics } from '.';

/** The exposition text: counters as they stand, lag and process figures measured now. */
export async function renderMetrics(db: Db = getDb()): Promise<string> {
  const m = appMetrics();
  try {
    const lags = await subscriberLag(db);
    m.lagEvents.reset();
    m.lagSeconds.reset();
    m.lagHeldBack.reset();
    for (const l of lags) {
      m.lagEvents.set({ subscriber: l.subscriber }, l.events);
      m.lagSeconds.set({ subscriber: l.subscriber }, l.seconds);
      m.lagHeldBack.set({ subscriber: l.subscriber }, l.heldBack);
    }
    const [counts, overdue, pending] = await Promise.all([
      db.select({ status: orderProcesses.status, n: sql<number>`count(*)::int` }).from(orderProcesses).groupBy(orderProcesses.status),
      db.select({ n: sql<number>`count(*)::int` }).from(orderProcesses).where(sql`${orderProcesses.nextRunAt} < now() - interval '30 seconds'`),
      db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(isNull(outbox.publishedAt)),
    ]);
    m.orderProcesses.reset();
    for (const c of counts) m.orderProcesses.set({ status: c.status }, Number(c.n));
    m.ordersOverdue.set({}, Number(overdue[0]?.n ?? 0));
    m.outboxPending.set({}, Number(pending[0]?.n ?? 0));
    m.databaseUp.set({}, 1);
  } catch (err) {
    // Metrics matter most during an outage: answer with what this process knows, minus the lag.
    m.lagEvents.reset();
    m.lagSeconds.reset();
    m.lagHeldBack.reset();
    m.orderProcesses.reset();
    m.databaseUp.set({}, 0);
    log.warn({ err }, 'metrics: measuring subscriber lag failed');
  }
  const mem = process.memoryUsage();
  m.residentMemory.set({}, mem.rss);
  m.heapUsed.set({}, mem.heapUsed);
  m.uptime.set({}, Math.round(process.uptime() * 1000) / 1000);
  m.startTime.set({}, Math.round(Date.now() / 1000 - process.uptime()));
  return m.registry.render();
}
