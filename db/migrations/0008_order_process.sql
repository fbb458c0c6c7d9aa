-- The order process (checkout as a saga, server/orders/): its read model and schedule, the simulated
-- payment provider's ledger; orders.cart_id is no longer unique (a cart reopened after a failed order
-- can be checked out again); the funnel remembers a reopened cart.
CREATE TABLE "order_processes" (
	"order_id" text PRIMARY KEY NOT NULL,
	"cart_id" text NOT NULL,
	"user_id" text NOT NULL,
	"status" text NOT NULL,
	"attempt" integer NOT NULL,
	"version" integer NOT NULL,
	"total_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"payment_id" text,
	"holds_stock" boolean NOT NULL,
	"stock_committed" boolean NOT NULL,
	"failure" jsonb,
	"placed_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"next_run_at" timestamp with time zone,
	"tries" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "simulated_payments" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"order_id" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"method" text NOT NULL,
	"status" text NOT NULL,
	"decline_code" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"voided_at" timestamp with time zone,
	CONSTRAINT "simulated_payments_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_cart_id_unique";--> statement-breakpoint
ALTER TABLE "analytics_carts" ADD COLUMN "reopened_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "order_processes_due_idx" ON "order_processes" USING btree ("next_run_at") WHERE "order_processes"."next_run_at" is not null;--> statement-breakpoint
CREATE INDEX "order_processes_status_idx" ON "order_processes" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "order_processes_cart_idx" ON "order_processes" USING btree ("cart_id");--> statement-breakpoint
CREATE INDEX "orders_cart_idx" ON "orders" USING btree ("cart_id");