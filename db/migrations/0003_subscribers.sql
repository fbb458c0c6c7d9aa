CREATE TABLE "sales_daily" (
	"day" date NOT NULL,
	"product_id" text NOT NULL,
	"units" integer NOT NULL,
	"revenue_cents" bigint NOT NULL,
	"orders" integer NOT NULL,
	CONSTRAINT "sales_daily_day_product_id_pk" PRIMARY KEY("day","product_id")
);
--> statement-breakpoint
CREATE TABLE "subscriber_checkpoints" (
	"subscriber" text PRIMARY KEY NOT NULL,
	"transaction_id" bigint DEFAULT 0 NOT NULL,
	"global_position" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
