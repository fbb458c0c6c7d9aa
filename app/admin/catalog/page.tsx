import type { Metadata } from 'next';
import { CatalogTable } from '@/components/admin/catalog-table';
import { currentUser } from '@/server/auth';
import { listAdminCatalog } from '@/server/catalog/commands';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Catalog' };

export default async function CatalogPage() {
  // The layout refuses non-admins; a page renders alongside its layout, so it must not load data for them.
  const user = await currentUser();
  if (user?.role !== 'admin') return null;
  const products = await listAdminCatalog(user);
  return (
    <div className="space-y-6">
      <header className="space-y-2">
        <h1 className="text-2xl font-bold">Catalog</h1>
        <p className="max-w-3xl text-stone-600">
          Change a price or the stock and save the row. Each change is an event on the product&apos;s stream (see the audit); carts
          that hold the product show shoppers the new price before they check out.
        </p>
      </header>
      <CatalogTable products={products} />
    </div>
  );
}
