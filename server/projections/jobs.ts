import 'server-only';
import { randomUUID } from 'node:crypto';
import { getDbHandle } from '@/db/client';
import type { Actor } from '../eventstore';
import { AppError } from '../http/errors';
import { log } from '../log';
import { acquireRebuildLock, rebuildRunning, RebuildInProgressError } from './lock';
import { rebuildProjections } from './rebuild';
import type { JobKind, JobView, Progress, ProjectionStatus, RebuildReport, VerifyReport } from './types';
import { verifyProjections } from './verify';

// Admin-started verify and rebuild jobs.
//
// A job runs inside the app server process that received the POST, and its state lives only in that
// process's memory (on globalThis, so every route bundle of the process shares it). Limitations, by
// design: behind a load balancer a status poll that lands on another app server does not see the job
// (it only learns, from the advisory lock, that a rebuild is running somewhere), and a restart forgets
// the last report. Exclusion across servers and the CLI is the advisory lock's job (lock.ts), not this
// state's.

/** At most this many mismatches travel to the page; the counts always cover all of them. */
export const MISMATCHES_SHOWN = 500;

type Job = Omit<JobView, 'report'> & { report: VerifyReport | RebuildReport | null };

const g = globalThis as unknown as { __eventcartProjectionJob?: Job };

export function currentJob(): JobView | null {
  const job = g.__eventcartProjectionJob;
  if (!job) return null;
  const report = job.report
    ? { ...job.report, mismatches: job.report.mismatches.slice(0, MISMATCHES_SHOWN), totalMismatches: job.report.mismatches.length }
    : null;
  return { ...job, progress: { ...job.progress }, report };
}

export async function projectionStatus(): Promise<ProjectionStatus> {
  return { job: currentJob(), rebuildRunning: await rebuildRunning(getDbHandle()) };
}

/**
 * Starts a job and returns at once; the page polls the status. 409 when a job already runs in this
 * process, or (rebuild) when another process holds the rebuild lock: the lock is taken before we answer.
 */
export async function startJob(kind: JobKind, actor: Actor): Promise<JobView> {
  if (g.__eventcartProjectionJob?.state === 'running') {
    const running = g.__eventcartProjectionJob.kind;
    throw new AppError(409, running === 'rebuild' ? 'rebuild_running' : 'job_running', `A ${running} is already running on this server; wait for it to finish.`);
  }
  const handle = getDbHandle();
  let lock: Awaited<ReturnType<typeof acquireRebuildLock>> | undefined;
  if (kind === 'rebuild') {
    try {
      lock = await acquireRebuildLock(handle);
    } catch (e) {
      if (e instanceof RebuildInProgressError) throw new AppError(409, 'rebuild_running', e.message);
      throw e;
    }
  }
  const job: Job = {
    id: randomUUID(),
    kind,
    state: 'running',
    progress: { phase: kind === 'rebuild' ? 'preparing' : 'verifying', done: 0, total: 0 },
    startedAt: new Date().toISOString(),
    finishedAt: null,
    startedBy: actor.userId,
    report: null,
    error: null,
  };
  g.__eventcartProjectionJob = job;
  const onProgress = (p: Progress) => {
    job.progress = p;
  };
  // PGlite runs one statement or transaction at a time for the whole server: smaller batches keep the
  // pause each batch causes for shoppers short. A server database reads batches beside the traffic.
  const batchSize = handle.kind === 'pglite' ? 100 : undefined;
  log.info({ job: job.id, kind, by: actor.userId }, 'projection job started');
  void (async () => {
    try {
      job.report =
        kind === 'rebuild'
          ? await rebuildProjections(handle, { onProgress, lock, batchSize })
          : await verifyProjections(handle.db, { onProgress, batchSize });
      job.state = 'succeeded';
      log.info(
        { job: job.id, kind, checked: job.report.checked, mismatches: job.report.mismatches.length, ms: job.report.durationMs },
        'projection job finished',
      );
    } catch (e) {
      job.state = 'failed';
      job.error = e instanceof Error ? e.message : String(e);
      log.error({ err: e, job: job.id, kind }, 'projection job failed');
    } finally {
      job.finishedAt = new Date().toISOString();
      await lock?.release();
    }
  })();
  return currentJob()!;
}
