-- The stock check of a command that raises a reservation, run as the first of the command's writes.
-- The command read the product and what other carts hold without a lock and decided on that; this
-- takes the product's row lock (every reservation increase and every checkout of the product queue on
-- it), then checks again: the product still has the price and currency the event carries, and stock
-- minus the live reservations of other carts still covers the line. If not, it raises SQLSTATE EC409:
-- the transaction (the events with it) rolls back and the handler runs the command again with the lock
-- taken first. The lock is held only from here to the commit, which leaves in the same round trip.
CREATE OR REPLACE FUNCTION "eventcart_require_available"(
  "p_product_id" text,
  "p_cart_id" text,
  "p_now" timestamptz,
  "p_quantity" integer,
  "p_price_cents" integer,
  "p_currency" text
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  "v_stock" integer;
  "v_held" integer;
BEGIN
  SELECT "stock" INTO "v_stock" FROM "products"
    WHERE "id" = "p_product_id" AND "price_cents" = "p_price_cents" AND "currency" = "p_currency"
    FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'product % changed since the command read it', "p_product_id" USING ERRCODE = 'EC409';
  END IF;
  SELECT coalesce(sum("quantity"), 0)::integer INTO "v_held" FROM "reservations"
    WHERE "product_id" = "p_product_id" AND "cart_id" <> "p_cart_id" AND "expires_at" > "p_now";
  IF "v_stock" - "v_held" < "p_quantity" THEN
    RAISE EXCEPTION 'product % has % available, % needed', "p_product_id", "v_stock" - "v_held", "p_quantity" USING ERRCODE = 'EC409';
  END IF;
  RETURN "v_stock" - "v_held";
END;
$$;
