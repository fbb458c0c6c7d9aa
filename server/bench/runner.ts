// Round-robin runner: the compared workloads of a group run alternately (A B C A B C ...), each run in a
// fresh process after the same warm-up; medians, min-max and ratios are computed from the rounds.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { median } from './common';
import type { WorkerResult } from './worker';

export type Sample = {
  opsPerSec: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors?: number;
  rssMb?: number;
  note?: string;
  extra?: Record<string, unknown>;
};

export type Workload = { key: string; label: string; run: () => Promise<Sample> };

export type Summary = {
  key: string;
  label: string;
  samples: Sample[];
  median: { opsPerSec: number; eventsPerSec: number; p50Ms: number; p99Ms: number };
  min: { opsPerSec: number; eventsPerSec: number };
  max: { opsPerSec: number; eventsPerSec: number };
  errors: number;
  failed?: string;
};

export type Timing = { warmupMs: number; measureMs: number };

let workerEntry: string[] = ['--import', 'tsx', 'server/bench/worker.ts'];

/** The node arguments that run the worker (the bundle when built, else under tsx). */
export const workerCommand = () => [...workerEntry];

/**
 * Bundles server/bench/worker.ts once (esbuild, packages left external) so that each fresh worker
 * process starts in about a second instead of three under tsx; falls back to tsx if that fails.
 */
export async function bundleWorker(): Promise<string | null> {
  const out = path.resolve('node_modules/.cache/eventcart-bench/worker.mjs');
  try {
    const { build } = await import('esbuild');
    await build({
      entryPoints: ['server/bench/worker.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['react-server'],
      packages: 'external',
      outfile: out,
      logLevel: 'warning',
    });
    workerEntry = [out];
    return out;
  } catch (e) {
    console.error('[bench] could not bundle the worker, running it under tsx:', (e as Error).message);
    return null;
  }
}

/** Runs server/bench/worker.ts in a fresh Node process and returns its JSON line. */
export function runWorker(url: string, timing: Timing, args: string[], timeoutMs?: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=react-server', ...workerEntry, ...args], {
      env: { ...process.env, BENCH_URL: url, BENCH_WARMUP_MS: String(timing.warmupMs), BENCH_MEASURE_MS: String(timing.measureMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs ?? timing.warmupMs + timing.measureMs + 90_000);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`worker ${args.join(' ')} exited ${code}: ${err.slice(-1500)}`));
      try {
        resolve(JSON.parse(last) as WorkerResult);
      } catch {
        reject(new Error(`worker ${args.join(' ')} printed no result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}

export function workerWorkload(url: string, timing: Timing, key: string, label: string, args: string[], timeoutMs?: number): Workload {
  return {
    key,
    label,
    run: async () => {
      const r = await runWorker(url, timing, args, timeoutMs);
      return {
        opsPerSec: r.opsPerSec,
        eventsPerSec: r.eventsPerSec,
        p50Ms: r.p50Ms ?? NaN,
        p99Ms: r.p99Ms ?? NaN,
        errors: r.errors,
        rssMb: r.rssMb,
        note: [r.note, r.firstError && `first error: ${r.firstError}`].filter(Boolean).join('; ') || undefined,
        ...(r.extra ? { extra: r.extra } : {}),
      };
    },
  };
}

/** Every group's workloads in turn, `rounds` times: round 1 A B C, D E, ...; round 2 A B C, D E, ... */
export async function roundRobin(groups: Workload[][], rounds: number, log: (s: string) => void): Promise<Map<string, Summary>> {
  const samples = new Map<string, Sample[]>();
  const failures = new Map<string, string>();
  const all = groups.flat();
  for (let r = 1; r <= rounds; r++) {
    for (const group of groups) {
      for (const w of group) {
        if (failures.has(w.key)) continue;
        const t = performance.now();
        try {
          const s = await w.run();
          samples.set(w.key, [...(samples.get(w.key) ?? []), s]);
          log(`round ${r} ${w.label}: ${s.opsPerSec.toFixed(0)} ops/s, ${s.eventsPerSec.toFixed(0)} events/s, p50 ${s.p50Ms?.toFixed(1)} ms, p99 ${s.p99Ms?.toFixed(1)} ms (${((performance.now() - t) / 1000).toFixed(1)} s)`);
        } catch (e) {
          failures.set(w.key, (e as Error).message.slice(0, 500));
          log(`round ${r} ${w.label}: FAILED ${(e as Error).message.slice(0, 300)}`);
        }
      }
    }
  }
  const out = new Map<string, Summary>();
  for (const w of all) {
    const ss = samples.get(w.key) ?? [];
    const pick = (f: (s: Sample) => number) => ss.map(f);
    out.set(w.key, {
      key: w.key,
      label: w.label,
      samples: ss,
      median: {
        opsPerSec: median(pick((s) => s.opsPerSec)),
        eventsPerSec: median(pick((s) => s.eventsPerSec)),
        p50Ms: median(pick((s) => s.p50Ms)),
        p99Ms: median(pick((s) => s.p99Ms)),
      },
      min: { opsPerSec: Math.min(...pick((s) => s.opsPerSec)), eventsPerSec: Math.min(...pick((s) => s.eventsPerSec)) },
      max: { opsPerSec: Math.max(...pick((s) => s.opsPerSec)), eventsPerSec: Math.max(...pick((s) => s.eventsPerSec)) },
      errors: ss.reduce((n, s) => n + (s.errors ?? 0), 0),
      ...(failures.has(w.key) ? { failed: failures.get(w.key) } : {}),
    });
  }
  return out;
}
