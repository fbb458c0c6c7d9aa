-- Hand-edited after drizzle-kit generate: an existing database already has products (and maybe
-- orders), so the column is added empty, backfilled with stock + units sold over every order's lines
-- (the only thing that takes stock is checkout, which writes the order in the same transaction),
-- and only then made NOT NULL. The end state is what db/schema.ts and meta/0004_snapshot.json say.
ALTER TABLE "products" ADD COLUMN "initial_stock" integer;--> statement-breakpoint
UPDATE "products" p SET "initial_stock" = p."stock" + coalesce((
  SELECT sum((l ->> 'quantity')::integer)
  FROM "orders" o, jsonb_array_elements(o."items") l
  WHERE l ->> 'productId' = p."id"
), 0);--> statement-breakpoint
ALTER TABLE "products" ALTER COLUMN "initial_stock" SET NOT NULL;
