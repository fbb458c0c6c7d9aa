import type { CartLine } from '@/server/cart/events';
import { formatMoney } from '../ui/format';

export function LineTable({ items, currency, totalCents }: { items: CartLine[]; currency: string; totalCents: number }) {
  return (
    <table className="w-full text-sm">
      <thead className="text-left text-stone-500">
        <tr>
          <th className="py-2 font-medium">Product</th>
          <th className="py-2 pl-3 text-right font-medium">Unit price</th>
          <th className="py-2 pl-3 text-right font-medium">Qty</th>
          <th className="py-2 pl-3 text-right font-medium">Line total</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-100">
        {items.map((l) => (
          <tr key={l.productId}>
            <td className="py-2">{l.name}</td>
            <td className="py-2 pl-3 text-right tabular-nums">{formatMoney(l.unitPriceCents, currency)}</td>
            <td className="py-2 pl-3 text-right tabular-nums">{l.quantity}</td>
            <td className="py-2 pl-3 text-right tabular-nums">{formatMoney(l.lineTotalCents, currency)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr className="border-t border-stone-200 font-semibold">
          <td className="py-2" colSpan={3}>
            Total
          </td>
          <td className="py-2 pl-3 text-right tabular-nums">{formatMoney(totalCents, currency)}</td>
        </tr>
      </tfoot>
    </table>
  );
}
