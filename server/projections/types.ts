// Shapes shared by the projection tools, the CLI, the admin API and the admin page (no server imports).

export type ProjectionName = 'carts' | 'orders';

/** JSON-friendly column value: dates as ISO strings, jsonb as parsed JSON. */
export type FieldValue = string | number | boolean | null | FieldValue[] | { [key: string]: FieldValue };

/**
 * One difference between what the events say and what the read model holds. `field` is the database
 * column, or `row` when a whole row is missing (expected 'present', actual 'missing') or has no events
 * behind it (expected 'absent', actual 'present'). `key` is the row's primary key (the order id for
 * orders, the cart id for carts).
 */
export type Mismatch = {
  cartId: string;
  projection: ProjectionName;
  key: string;
  field: string;
  expected: FieldValue;
  actual: FieldValue;
};

export type VerifyReport = {
  /** Cart streams folded and compared. */
  checked: number;
  mismatches: Mismatch[];
  /** Distinct carts with at least one mismatch. */
  mismatchedCarts: number;
  durationMs: number;
};

export type RebuildReport = VerifyReport & {
  /** Rows written to the new tables, per projection. */
  rows: Record<ProjectionName, number>;
  /** Streams refolded because they moved on while the rebuild ran (before and inside the swap). */
  caughtUp: number;
  /** How long the live tables were locked for the final catch-up and the swap. */
  swapMs: number;
};

export type Phase = 'preparing' | 'verifying' | 'building' | 'orphans' | 'catching_up' | 'swapping' | 'done';

export type Progress = { phase: Phase; done: number; total: number };

/** Called between batches (never inside a transaction); a returned promise is awaited. */
export type OnProgress = (p: Progress) => void | Promise<void>;


export type JobKind = 'verify' | 'rebuild';

/** An admin-started job as the status endpoint shows it (mismatches cut to the first few hundred). */
export type JobView = {
  id: string;
  kind: JobKind;
  state: 'running' | 'succeeded' | 'failed';
  progress: Progress;
  startedAt: string;
  finishedAt: string | null;
  startedBy: string;
  report: (VerifyReport & Partial<Omit<RebuildReport, keyof VerifyReport>> & { totalMismatches: number }) | null;
  error: string | null;
};

export type ProjectionStatus = { job: JobView | null; rebuildRunning: boolean };
