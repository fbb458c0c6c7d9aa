import 'server-only';
import { getDb, type Db } from '@/db/client';
import type { Actor } from '../eventstore/types';
import { log } from '../log';
import { assertAdmin, auditQuery, toAuditEvent } from './queries';
import type { AuditEvent, AuditFilters } from './types';

export type ExportFormat = 'csv' | 'json';

export const CSV_COLUMNS = [
  'global_position',
  'occurred_at',
  'cart_id',
  'version',
  'type',
  'title',
  'actor_user_id',
  'actor_role',
  'correlation_id',
  'data',
] as const;

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, and its quotes doubled. */
export function csvField(value: string | number | null | undefined): string {
  const s = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvLine = (fields: (string | number | null)[]) => `${fields.map(csvField).join(',')}\r\n`;

function csvRow(e: AuditEvent): string {
  return csvLine([
    e.globalPosition,
    e.occurredAt,
    e.cartId,
    e.version,
    e.type,
    e.title,
    e.actor.userId,
    e.actor.role,
    e.correlationId,
    JSON.stringify(e.data),
  ]);
}

export type ExportOptions = {
  format: ExportFormat;
  /** Rows per database read (default 1000). Memory is bounded by about one batch, whatever the total. */
  batchSize?: number;
  /** The request's signal: when the client goes away, no further batch is read. */
  signal?: AbortSignal;
  /** Called after each database read with its row count (tests count the batches). */
  onBatch?: (rows: number) => void;
  db?: Db;
};

export const exportContentType: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** events-20261123T135719Z.csv */
export function exportFileName(format: ExportFormat, now = new Date()): string {
  return `events-${now.toISOString().replace(/\.\d{3}/, '').replace(/[-:]/g, '')}.${format}`;
}

/**
 * Every event matching the filters, newest first, as CSV or a JSON array, in a pull stream: a batch
 * is read (keyset-paged like searchEvents) only when the consumer has taken the previous one, so a
 * million events cost the memory of one batch. The admin check runs now, before any byte is sent,
 * so the route can still answer 401/403. No transaction is held open between batches (PGlite has a
 * single connection); events appended during the export get higher positions and are left out.
 */
export function exportEvents(actor: Actor | null | undefined, filters: AuditFilters, opts: ExportOptions): ReadableStream<Uint8Array> {
  assertAdmin(actor);
  const { format, signal, onBatch } = opts;
  const batchSize = opts.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`Invalid batch size ${batchSize}`);
  const db = opts.db ?? getDb();
  const encoder = new TextEncoder();
  let before: number | undefined;
  let started = false;
  let written = 0;
  let cancelled = false;
  const aborted = () => cancelled || signal?.aborted === true;

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (aborted()) return controller.error(signal?.reason ?? new Error('export cancelled'));
        let rows: Awaited<ReturnType<typeof auditQuery>>;
        try {
          rows = await auditQuery(db, filters, before, batchSize);
        } catch (e) {
          // The status line has gone out already; the client sees a cut-off download, the log sees why.
          log.error({ err: e, format, written }, 'event export failed');
          throw e;
        }
        onBatch?.(rows.length);
        if (aborted()) {
          if (!cancelled) controller.error(signal?.reason ?? new Error('export aborted'));
          return;
        }
        let text = started ? '' : format === 'csv' ? csvLine([...CSV_COLUMNS]) : '[';
        started = true;
        for (const row of rows) {
          const e = toAuditEvent(row);
          text += format === 'csv' ? csvRow(e) : `${written === 0 ? '\n' : ',\n'}${JSON.stringify(e)}`;
          written++;
        }
        const last = rows.length < batchSize;
        if (last && format === 'json') text += written === 0 ? ']\n' : '\n]\n';
        if (text) controller.enqueue(encoder.encode(text));
        if (last) controller.close();
        else before = rows[rows.length - 1].globalPosition;
      },
      cancel() {
        cancelled = true;
      },
    },
    // One encoded batch waits in the queue at most; the next is read when the consumer takes it.
    { highWaterMark: 1 },
  );
}
