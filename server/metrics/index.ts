import 'server-only';
import { CartError } from '../cart/errors';
import { ConcurrencyError } from '../eventstore/errors';
import { AppError, toAppError } from '../http/errors';
import { log } from '../log';
import { Registry } from './registry';

/** Outcome of one command, as counted: refused for a business reason, lost a race, or failed. */
export type CommandOutcome = 'ok' | 'rejected' | 'conflict' | 'error';

function createAppMetrics() {
  const registry = new Registry();
  return {
    registry,
    commands: registry.counter('eventcart_commands_total', 'Cart commands handled, by command type and outcome (ok, rejected, conflict, error).'),
    rejections: registry.counter('eventcart_command_rejections_total', 'Cart commands refused with a 4xx, by command type and error code.'),
    duration: registry.histogram('eventcart_command_duration_seconds', 'Time to handle a cart command, retries included, by command type.'),
    eventsAppended: registry.counter('eventcart_events_appended_total', 'Events appended to the event store by cart commands.'),
    retries: registry.counter('eventcart_concurrency_retries_total', 'Cart command transactions retried after a concurrency conflict, serialization failure or deadlock.'),
    lagEvents: registry.gauge('eventcart_subscriber_lag_events', 'Committed events an asynchronous subscriber has not handled yet (measured at scrape time).'),
    lagSeconds: registry.gauge('eventcart_subscriber_lag_seconds', 'Age of the oldest event a subscriber has not handled yet; 0 when caught up (measured at scrape time).'),
    lagHeldBack: registry.gauge('eventcart_subscriber_held_back_events', 'Of the unhandled events, those waiting behind an open writing transaction.'),
    orderProcesses: registry.gauge('eventcart_order_processes', 'Orders by the status of their process (placed, paid, stock_committed, confirmed, compensating, failed), measured at scrape time.'),
    ordersOverdue: registry.gauge('eventcart_order_processes_overdue', 'Order processes whose next step has been due for more than 30 s (a runner should have taken them).'),
    outboxPending: registry.gauge('eventcart_outbox_pending_messages', 'Integration events in the outbox not yet published, measured at scrape time.'),
    databaseUp: registry.gauge('eventcart_database_up', '1 when the scrape could query the database, else 0.'),
    residentMemory: registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.'),
    heapUsed: registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use, in bytes.'),
    startTime: registry.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.'),
    uptime: registry.gauge('eventcart_uptime_seconds', 'Seconds since this app server process started.'),
  };
}

export type AppMetrics = ReturnType<typeof createAppMetrics>;

// One set of counters per process: Next may load this module more than once (route and action bundles).
const globalForMetrics = globalThis as unknown as { __eventcartMetrics?: AppMetrics };

export function appMetrics(): AppMetrics {
  return (globalForMetrics.__eventcartMetrics ??= createAppMetrics());
}

export function classifyCommandError(e: unknown): { outcome: CommandOutcome; code?: string } {
  if (e instanceof ConcurrencyError) return { outcome: 'conflict', code: 'version_conflict' };
  if (e instanceof AppError && (e.code === 'version_mismatch' || e.code === 'version_conflict')) return { outcome: 'conflict', code: e.code };
  if (e instanceof CartError || (e instanceof AppError && e.status < 500)) {
    const err = toAppError(e);
    return { outcome: 'rejected', code: err.code };
  }
  return { outcome: 'error' };
}

/** Counts one handled command; never throws (metrics must not fail a command). */
export function recordCommand(type: string, seconds: number, result: { eventsAppended: number } | { error: unknown }) {
  try {
    const m = appMetrics();
    m.duration.observe({ type }, seconds);
    if ('error' in result) {
      const { outcome, code } = classifyCommandError(result.error);
      m.commands.inc({ type, outcome });
      if (outcome === 'rejected' && code) m.rejections.inc({ type, code });
    } else {
      m.commands.inc({ type, outcome: 'ok' });
      if (result.eventsAppended > 0) m.eventsAppended.inc({}, result.eventsAppended);
    }
  } catch (err) {
    log.warn({ err }, 'recording command metrics failed');
  }
}

export function recordRetry() {
  appMetrics().retries.inc();
}
