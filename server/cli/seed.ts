// npm run db:seed: migrate, then add the demo catalog and accounts (idempotent).
import { prepareDatabase } from './lib/prepare-db';

process.env.SEED_DEMO = '1';
prepareDatabase().catch((e) => {
  console.error('[eventcart] seeding failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
