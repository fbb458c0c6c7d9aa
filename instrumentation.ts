// Runs once when a Next server starts: the asynchronous subscribers poll inside the app server.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  // `next build` loads the server code too; it must not open the database or start polling.
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  // A dropped database connection must not take the server down (a known postgres.js bug; see there).
  const { installProcessGuard } = await import('./server/process-guard');
  installProcessGuard();
  const { startSubscribers } = await import('./server/subscribers/runner');
  startSubscribers();
  const { startOutbox } = await import('./server/outbox');
  startOutbox();
  (await import('./server/cart/sweeper')).startSweeper();
  (await import('./server/orders/runner')).startOrderRunner();
}
