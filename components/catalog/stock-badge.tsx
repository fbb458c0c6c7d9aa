export function StockBadge({ stock }: { stock: number }) {
  if (stock === 0) return <span className="w-fit rounded-full bg-stone-200 px-2 py-0.5 text-xs font-medium text-stone-600">Sold out</span>;
  if (stock <= 5) return <span className="w-fit rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800">Only {stock} left</span>;
  return <span className="w-fit rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700">In stock</span>;
}
