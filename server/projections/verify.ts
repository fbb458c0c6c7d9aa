import 'server-only';
import type { Db } from '@/db/client';
import { distinctCarts } from './compare';
import { compareWithTables, countCartStreams, foldCarts, nextCartStreams } from './fold';
import { findOrphans } from './orphans';
import { breathe } from './sql';
import type { Mismatch, OnProgress, Progress, VerifyReport } from './types';

export const DEFAULT_BATCH_SIZE = 500;

/**
 * Read-only: folds every cart stream (keyset batches on the stream id) and compares the result with
 * every inline projection's rows, column by column; then looks for rows no stream explains.
 *
 * Each batch reads the streams, their events and the read-model rows in one REPEATABLE READ snapshot.
 * The inline projections commit with their events, so commands running meanwhile never show up as
 * false differences.
 */
export async function verifyProjections(db: Db, opts: { batchSize?: number; onProgress?: OnProgress } = {}): Promise<VerifyReport> {
  const started = performance.now();
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  let total = await countCartStreams(db);
  let done = 0;
  const mismatches: Mismatch[] = [];
  // Every progress report is also a point where other work of the process gets its turn (see breathe).
  const progress = async (p: Progress) => {
    await opts.onProgress?.(p);
    await breathe();
  };
  await progress({ phase: 'verifying', done, total });
  let after = '';
  for (;;) {
    const batch = await db.transaction(
      async (tx) => {
        const heads = await nextCartStreams(tx, after, batchSize);
        if (heads.length === 0) return null;
        const folded = await foldCarts(tx, heads);
        return { last: heads.at(-1)!.streamId, n: heads.length, mismatches: await compareWithTables(tx, folded) };
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    if (!batch) break;
    after = batch.last;
    done += batch.n;
    total = Math.max(total, done);
    mismatches.push(...batch.mismatches);
    await progress({ phase: 'verifying', done, total });
    if (batch.n < batchSize) break;
  }
  await progress({ phase: 'orphans', done, total });
  mismatches.push(...(await findOrphans(db, { batchSize })));
  await progress({ phase: 'done', done, total });
  return { checked: done, mismatches, mismatchedCarts: distinctCarts(mismatches), durationMs: Math.round(performance.now() - started) };
}
