// Shapes of a whole-store verification (no server imports: the CLI, chaos and tests share them).

/**
 * Which invariant a difference breaks:
 * - read_model: a `carts` row differs from the fold of its cart's events;
 * - stream: a stream's versions are not 1..N without gaps, or `streams.version` is not its last event's;
 * - orders: an order without its CartCheckedOut event in its cart's stream, a checkout event without
 *   its order, or an order whose lines or totals differ from the event's;
 * - order_process: an `order_processes` row differs from the fold of its order's stream, or has none.
 * - stock: stock + units sold (the lines of every order whose stock is committed) is not the product's initial stock.
 * - reservations: a reservation of a closed cart or of no line with its quantity, or live reservations
 *   holding more of a product than its stock.
 */
export type CheckName = 'read_model' | 'stream' | 'orders' | 'order_process' | 'stock' | 'reservations';

export type Difference = {
  check: CheckName;
  /** What it is about: `cart <id>`, `stream <id>`, `order <id>`, `product <id>`. */
  subject: string;
  /** One readable sentence. */
  message: string;
};

export type StoreCounts = { carts: number; streams: number; events: number; orders: number; products: number };

export type StoreReport = {
  ok: boolean;
  counts: StoreCounts;
  differences: Difference[];
  durationMs: number;
};
