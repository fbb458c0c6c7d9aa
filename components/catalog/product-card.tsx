import Image from 'next/image';
import type { CatalogProduct } from '@/server/catalog/queries';
import { formatMoney } from '../ui/format';
import { AddToCartButton } from './add-to-cart-button';
import { StockBadge } from './stock-badge';

export function ProductCard({ product }: { product: CatalogProduct }) {
  return (
    <li className="flex flex-col overflow-hidden rounded-2xl border border-stone-200 bg-white shadow-sm transition-shadow hover:shadow-md">
      <Image src={product.imageUrl} alt="" width={400} height={300} unoptimized className="aspect-[4/3] w-full object-cover" />
      <div className="flex flex-1 flex-col gap-2 p-4">
        <div className="flex items-start justify-between gap-2">
          <h2 className="font-semibold leading-tight">{product.name}</h2>
          <p className="shrink-0 font-semibold text-brand-700">{formatMoney(product.priceCents, product.currency)}</p>
        </div>
        <p className="flex-1 text-sm text-stone-600">{product.description}</p>
        <StockBadge available={product.available} />
        <AddToCartButton productId={product.id} productName={product.name} disabled={product.available === 0} />
      </div>
    </li>
  );
}
