// The test run's report for .ci/run: how long each stage took (stages.tsv: name, seconds, ok) and the
// test totals (totals.json), read from Vitest's and Playwright's own JSON reports.
import fs from 'node:fs';
import path from 'node:path';

export const REPORTS = path.resolve(process.env.EVENTCART_REPORTS_DIR ?? '.data/reports');

export type Counts = { passed: number; failed: number; skipped: number };

export function recordStage(name: string, seconds: number, ok: boolean): void {
  fs.mkdirSync(REPORTS, { recursive: true });
  fs.appendFileSync(path.join(REPORTS, 'stages.tsv'), `${name}\t${Math.round(seconds)}\t${ok ? 'ok' : 'FAILED'}\n`);
}

export function recordTotals(c: Counts): void {
  fs.writeFileSync(path.join(REPORTS, 'totals.json'), JSON.stringify(c));
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined; // the runner died before writing it: the stage already failed
  }
}

type VitestJson = { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };

export function readVitestReport(file: string): Counts {
  const r = readJson<VitestJson>(file);
  if (!r) return { passed: 0, failed: 1, skipped: 0 };
  return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
}

type PwResult = { startTime: string; duration: number };
type PwTest = { projectName: string; status: 'expected' | 'unexpected' | 'flaky' | 'skipped'; results: PwResult[] };
type PwSuite = { specs?: { tests: PwTest[] }[]; suites?: PwSuite[] };
type PwJson = { suites: PwSuite[]; stats: { expected: number; unexpected: number; flaky: number; skipped: number } };

function* testsOf(suites: PwSuite[] = []): Generator<PwTest> {
  for (const s of suites) {
    for (const spec of s.specs ?? []) yield* spec.tests;
    yield* testsOf(s.suites);
  }
}

/**
 * Totals, and for each project the span from its first test's start to its last test's end: the
 * projects' workers run at the same time, so these overlap and the wall clock is less than their sum.
 * A flaky test (passed only on a retry) counts as failed: the suite runs without retries anyway.
 */
export function readPlaywrightReport(file: string): { counts: Counts; projectSeconds: Record<string, number>; projectOk: Record<string, boolean> } {
  const r = readJson<PwJson>(file);
  if (!r) return { counts: { passed: 0, failed: 1, skipped: 0 }, projectSeconds: {}, projectOk: {} };
  const spans: Record<string, [number, number]> = {};
  const projectOk: Record<string, boolean> = {};
  for (const t of testsOf(r.suites)) {
    projectOk[t.projectName] = (projectOk[t.projectName] ?? true) && (t.status === 'expected');
    for (const res of t.results) {
      const start = Date.parse(res.startTime);
      const span = (spans[t.projectName] ??= [start, start + res.duration]);
      span[0] = Math.min(span[0], start);
      span[1] = Math.max(span[1], start + res.duration);
    }
  }
  const projectSeconds = Object.fromEntries(Object.entries(spans).map(([p, [a, b]]) => [p, (b - a) / 1000]));
  const { expected, unexpected, flaky, skipped } = r.stats;
  return { counts: { passed: expected, failed: unexpected + flaky, skipped }, projectSeconds, projectOk };
}
