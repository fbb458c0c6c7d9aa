-- Asynchronous projections for the admin dashboard (server/analytics/funnel.ts): one row per cart with
-- the moments of its funnel, and per-day counters for what is not a cart's state (reservation expiries).
CREATE TABLE "analytics_carts" (
	"cart_id" text PRIMARY KEY NOT NULL,
	"user_id" text,
	"opened_at" timestamp with time zone,
	"first_item_at" timestamp with time zone,
	"checked_out_at" timestamp with time zone,
	"abandoned_at" timestamp with time zone,
	"expired_at" timestamp with time zone,
	"merged_at" timestamp with time zone,
	"status" text,
	"total_cents" bigint,
	"item_count" integer
);
--> statement-breakpoint
CREATE INDEX "analytics_carts_opened_idx" ON "analytics_carts" USING btree ("opened_at");
--> statement-breakpoint
CREATE INDEX "analytics_carts_checked_out_idx" ON "analytics_carts" USING btree ("checked_out_at");
--> statement-breakpoint
CREATE TABLE "analytics_daily" (
	"day" date NOT NULL,
	"metric" text NOT NULL,
	"value" bigint NOT NULL,
	CONSTRAINT "analytics_daily_day_metric_pk" PRIMARY KEY("day","metric")
);
