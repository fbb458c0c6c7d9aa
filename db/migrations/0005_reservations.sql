-- Written by hand (issue 6, stock reservations): the inline read model of the units each cart holds.
CREATE TABLE "reservations" (
	"cart_id" text NOT NULL,
	"product_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "reservations_cart_id_product_id_pk" PRIMARY KEY("cart_id","product_id"),
	CONSTRAINT "reservations_quantity_positive" CHECK ("reservations"."quantity" > 0)
);
--> statement-breakpoint
CREATE INDEX "reservations_product_expires_idx" ON "reservations" USING btree ("product_id","expires_at");--> statement-breakpoint
CREATE INDEX "reservations_expires_idx" ON "reservations" USING btree ("expires_at");
