// Shapes of the admin audit, shared by server/audit and the components that render it (no server code here).
import type { Actor } from '../eventstore/types';
import type { CartEventType } from '../cart/events';
import type { ProductEventType } from '../catalog/events';
import type { OrderEventType } from '../orders/events';

/** What an admin can narrow the log to. Every field is optional; together they are ANDed. */
export type AuditFilters = {
  cartId?: string;
  /** The acting user's id (event metadata), e.g. "user-bob". */
  userId?: string;
  type?: CartEventType | ProductEventType | OrderEventType;
  /** Inclusive lower bound on occurredAt. */
  from?: Date;
  /** Exclusive upper bound on occurredAt. */
  to?: Date;
};

export type AuditSearch = AuditFilters & {
  /** 1 to 200, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page: only events older than it. */
  after?: string;
};

export type AuditEvent = {
  globalPosition: number;
  /** The cart of a cart event; null for a catalog (product) or order process event. */
  cartId: string | null;
  /** Only on a catalog event: the product whose price or stock an admin changed. */
  productId?: string;
  /** Only on an order process event (checkout's saga): the order. */
  orderId?: string;
  /** The version in the event's own stream (the cart's or the product's). */
  version: number;
  type: string;
  title: string;
  data: Record<string, unknown>;
  occurredAt: string;
  actor: Actor;
  correlationId: string;
  causationId: string | null;
  schemaVersion: number;
};

export type AuditPage = { events: AuditEvent[]; nextCursor: string | null };
