import 'server-only';
import { getDb, type Db } from '@/db/client';
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
    m.databaseUp.set({}, 1);
  } catch (err) {
    // Metrics matter most during an outage: answer with what this process knows, minus the lag.
    m.lagEvents.reset();
    m.lagSeconds.reset();
    m.lagHeldBack.reset();
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
