import { PendingAdd } from '@/components/catalog/pending-add';
import { ProductCard } from '@/components/catalog/product-card';
import { currentUser } from '@/server/auth';
import { listProducts } from '@/server/catalog/queries';

export const dynamic = 'force-dynamic';

export default async function CatalogPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [products, user, sp] = await Promise.all([listProducts(), currentUser(), searchParams]);
  const pending = user && typeof sp.add === 'string' ? products.find((p) => p.id === sp.add) : undefined;
  return (
    <>
      <section className="mb-8 rounded-3xl bg-gradient-to-br from-brand-100 to-brand-50 px-6 py-10 sm:px-10">
        <h1 className="text-3xl font-bold tracking-tight text-brand-900 sm:text-4xl">Good coffee, kept honest.</h1>
        <p className="mt-2 max-w-xl text-stone-700">
          Beans and brewing gear. Every change to your cart is recorded, so nothing you add ever gets lost between your
          phone and your laptop.
        </p>
      </section>
      <PendingAdd pending={pending ? { productId: pending.id, productName: pending.name } : null} />
      <h2 className="sr-only">Products</h2>
      <ul className="grid gap-6 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4">
        {products.map((p) => (
          <ProductCard key={p.id} product={p} />
        ))}
      </ul>
    </>
  );
}
