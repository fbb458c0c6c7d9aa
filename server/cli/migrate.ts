// npm run db:migrate: apply db/migrations to the configured database (never seeds).
import { prepareDatabase } from './lib/prepare-db';

prepareDatabase({ seed: 'never' }).catch((e) => {
  console.error('[eventcart] migration failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
