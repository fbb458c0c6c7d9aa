// npm run projections:verify | projections:rebuild [-- --batch-size N] [-- --json]
//
// verify: read-only; folds every cart stream and compares it with the read models. Exit 0 when they
//         match, 1 on any difference, 2 when it could not run.
// rebuild: rebuilds every inline projection into shadow tables, reports what differed, swaps them in
//          without downtime. Exit 0 when swapped, 2 when it could not run (e.g. another rebuild holds
//          the lock).
// On the embedded database (no DATABASE_URL) the folder belongs to one process: stop the server
// first, or use the admin page /admin/projections, which runs the same code inside the server.
import { sql } from 'drizzle-orm';
import { openDatabase, type DbHandle } from '../../db/client';
import { readDbEnv } from '../../db/env';
import { PgliteInUseError } from '../../db/pglite-lock';
import { rebuildProjections, RebuildInProgressError, verifyProjections, type Progress, type VerifyReport } from '../projections';
import { formatMismatch, phaseLabel } from '../projections/format';

type Args = { command: 'verify' | 'rebuild'; batchSize?: number; json: boolean };

const USAGE = 'usage: projections <verify|rebuild> [--batch-size N] [--json]';

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (command !== 'verify' && command !== 'rebuild') throw new Error(USAGE);
  const args: Args = { command, json: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--json') args.json = true;
    else if (a === '--batch-size' || a.startsWith('--batch-size=')) {
      const raw = a.includes('=') ? a.split('=')[1] : rest[++i];
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`--batch-size must be a whole number from 1 to 10000, not ${raw}`);
      args.batchSize = n;
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return args;
}

/** A `\r`-updated bar on a terminal; on a pipe, one plain line per phase and per tenth of the way. */
function progressPrinter(out: NodeJS.WriteStream) {
  const started = performance.now();
  let lastPhase = '';
  let lastTenth = -1;
  let open = false;
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  return {
    update(p: Progress) {
      const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : p.phase === 'done' ? 100 : 0;
      const counts = p.total > 0 ? ` ${p.done}/${p.total}` : '';
      if (out.isTTY) {
        const width = 24;
        const filled = Math.round((width * pct) / 100);
        const line = `${phaseLabel(p.phase).padEnd(24)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%${counts}  ${seconds()} s`;
        out.write(`\r${line.padEnd((out.columns ?? 80) - 1)}`);
        open = true;
        return;
      }
      const tenth = Math.floor(pct / 10);
      if (p.phase === lastPhase && tenth === lastTenth) return;
      lastPhase = p.phase;
      lastTenth = tenth;
      out.write(`${phaseLabel(p.phase)}: ${pct}%${counts} (${seconds()} s)\n`);
    },
    end() {
      if (open) out.write('\n');
      open = false;
    },
  };
}

function printMismatches(report: VerifyReport) {
  if (report.mismatches.length === 0) return;
  console.log(`\n${report.mismatches.length} mismatch${report.mismatches.length === 1 ? '' : 'es'} in ${report.mismatchedCarts} cart${report.mismatchedCarts === 1 ? '' : 's'}:`);
  for (const m of report.mismatches) console.log(`  ${formatMismatch(m)}`);
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

async function checkSchema(handle: DbHandle) {
  const res = await handle.db.execute(sql`select to_regclass('streams') is not null and to_regclass('carts') is not null as ok`);
  const rows = (Array.isArray(res) ? res : (res as unknown as { rows: { ok: boolean }[] }).rows) as { ok: boolean }[];
  if (!rows[0]?.ok) throw new Error('This database has no eventcart tables. Run `npm run db:migrate` first (or `npm start`).');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const env = readDbEnv();
  const where = env.DATABASE_URL ? 'PostgreSQL server (DATABASE_URL)' : `embedded PGlite in ${env.PGLITE_DIR}`;
  const handle = openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR, poolMax: 4 });
  const progress = progressPrinter(process.stderr);
  try {
    await checkSchema(handle);
    if (!args.json) console.log(`projections ${args.command} on ${where}`);
    const onProgress = args.json ? undefined : (p: Progress) => progress.update(p);
    if (args.command === 'verify') {
      const report = await verifyProjections(handle.db, { batchSize: args.batchSize, onProgress });
      progress.end();
      if (args.json) {
        console.log(JSON.stringify(report, null, 2));
      } else {
        printMismatches(report);
        const verdict =
          report.mismatches.length === 0
            ? 'the read models match the events'
            : `${plural(report.mismatches.length, 'mismatch', 'mismatches')} in ${plural(report.mismatchedCarts, 'cart')}; repair with npm run projections:rebuild`;
        console.log(`\nverify: ${plural(report.checked, 'cart')} checked, ${verdict} (${secs(report.durationMs)})`);
      }
      return report.mismatches.length === 0 ? 0 : 1;
    }
    const report = await rebuildProjections(handle, { batchSize: args.batchSize, onProgress });
    progress.end();
    if (args.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      printMismatches(report);
      const fixed = report.mismatches.length === 0 ? 'no differences found' : `${plural(report.mismatches.length, 'mismatch', 'mismatches')} in ${plural(report.mismatchedCarts, 'cart')} repaired`;
      const rows = Object.entries(report.rows)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ');
      console.log(
        `\nrebuild: ${plural(report.checked, 'cart')} folded, ${fixed}; rows: ${rows}; ${plural(report.caughtUp, 'stream')} caught up; ` +
          `tables locked ${report.swapMs} ms; total ${secs(report.durationMs)}`,
      );
    }
    return 0;
  } finally {
    progress.end();
    await handle.close().catch(() => {});
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof PgliteInUseError) {
      console.error(`[eventcart] ${e.message}`);
      console.error('[eventcart] A running server holds the embedded database: stop it first, or use Verify / Rebuild on /admin/projections.');
    } else if (e instanceof RebuildInProgressError) {
      console.error(`[eventcart] ${e.message}`);
    } else {
      console.error(`[eventcart] projections failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    process.exit(2);
  },
);
