/** From `available` (stock minus what carts hold), not raw stock: "only 3 left" is what a shopper can still get. */
export function StockBadge({ available }: { available: number }) {
  const base = 'w-fit rounded-full px-2 py-0.5 text-xs font-medium';
  if (available === 0) return <span data-available={0} className={`${base} bg-stone-200 text-stone-600`}>Sold out</span>;
  if (available <= 5) return <span data-available={available} className={`${base} bg-amber-100 text-amber-800`}>Only {available} left</span>;
  return <span data-available={available} className={`${base} bg-emerald-50 text-emerald-700`}>In stock</span>;
}
