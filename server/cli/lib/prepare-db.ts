import { openDatabase } from '../../../db/client';
import { readDbEnv } from '../../../db/env';
import { migrateDatabase } from '../../../db/migrate';
import { isEmpty, seedDemo } from '../../../db/seed';

/** Applies migrations, then seeds demo data when asked (or, on an empty embedded database, by default). */
export async function prepareDatabase(opts: { seed?: 'auto' | 'never' } = {}) {
  const env = readDbEnv();
  const handle = openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR, poolMax: 2 });
  const where = env.DATABASE_URL ? 'PostgreSQL server' : `embedded PGlite in ${env.PGLITE_DIR}`;
  try {
    await migrateDatabase(handle);
    console.log(`[eventcart] database: ${where}, migrations applied`);
    if (opts.seed === 'never') return;
    const seedByDefault = handle.kind === 'pglite' && env.SEED_DEMO !== false && (await isEmpty(handle.db));
    if (env.SEED_DEMO === true || seedByDefault) {
      const n = await seedDemo(handle.db);
      console.log(`[eventcart] demo data: ${n.products} products and ${n.users} accounts added (existing rows kept)`);
    }
  } finally {
    await handle.close();
  }
}
