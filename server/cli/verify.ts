// npm run verify [-- --json]
//
// Read-only check of the whole store (server/verify): read models = fold of the events, stream
// versions 1..N without gaps, orders <-> checkout events, stock + units sold = initial stock.
// Exit 0 when everything holds (with a one-line summary of what was checked), 1 with the list of every
// difference, 2 when it could not run.
// On the embedded database (no DATABASE_URL) the folder belongs to one process: stop the server first.
import { sql } from 'drizzle-orm';
import { openDatabase, type DbHandle } from '../../db/client';
import { readDbEnv } from '../../db/env';
import { PgliteInUseError } from '../../db/pglite-lock';
import { rowsOf } from '../projections/sql';
import { formatReport, verifyStore } from '../verify';

const USAGE = 'usage: verify [--json]';

async function checkSchema(handle: DbHandle) {
  const [row] = rowsOf(
    await handle.db.execute(sql`select to_regclass('streams') is not null and to_regclass('carts') is not null as ok,
      exists (select 1 from information_schema.columns where table_name = 'products' and column_name = 'initial_stock') as stock`),
  );
  if (!row?.ok || !row?.stock) throw new Error('This database lacks the eventcart tables or recent migrations. Run `npm run db:migrate` first (or `npm start`).');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const unknown = args.filter((a) => a !== '--json');
  if (unknown.length) throw new Error(`unknown option ${unknown[0]}\n${USAGE}`);
  const env = readDbEnv();
  const where = env.DATABASE_URL ? 'PostgreSQL server (DATABASE_URL)' : `embedded PGlite in ${env.PGLITE_DIR}`;
  const handle = openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR, poolMax: 2 });
  try {
    await checkSchema(handle);
    if (!json) console.log(`verify on ${where}`);
    const report = await verifyStore(handle.db);
    console.log(json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.ok ? 0 : 1;
  } finally {
    await handle.close().catch(() => {});
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof PgliteInUseError) {
      console.error(`[eventcart] ${e.message}`);
      console.error('[eventcart] verify reads the embedded database directly, and a running server holds it: stop the server first (or run verify against DATABASE_URL).');
    } else {
      console.error(`[eventcart] verify failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    process.exit(2);
  },
);
