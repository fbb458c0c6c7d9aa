import Link from 'next/link';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import { signedInOrRedirect } from '@/server/http/page-guards';

export const dynamic = 'force-dynamic';

/** Admin pages: signed-out visitors go to sign in; shoppers are refused (the queries check again). */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const asked = (await headers()).get('x-eventcart-path');
  const user = await signedInOrRedirect(asked?.startsWith('/admin') ? asked : '/admin/audit');
  if (user.role !== 'admin') {
    return (
      <div className="py-20 text-center" data-testid="admin-refused">
        <h1 className="text-2xl font-bold">403: admins only</h1>
        <p className="mt-2 text-stone-600">This part of the shop is for staff. You are signed in as a shopper.</p>
        <Link href="/" className="mt-4 inline-block font-medium text-brand-700 underline">
          Back to the shop
        </Link>
      </div>
    );
  }
  return (
    <div className="space-y-6">
      <nav aria-label="Admin" className="flex flex-wrap items-center gap-x-2 gap-y-1 border-b border-stone-200 pb-3 text-sm font-medium">
        <span className="mr-2 rounded-md bg-stone-800 px-2 py-1 text-xs font-bold uppercase tracking-wide text-white">Admin</span>
        <Link href="/admin/audit" className="rounded-md px-2 py-1 text-stone-700 hover:bg-stone-100">
          Audit
        </Link>
        <Link href="/admin/orders" className="rounded-md px-2 py-1 text-stone-700 hover:bg-stone-100">
          Orders
        </Link>
        <Link href="/admin/catalog" className="rounded-md px-2 py-1 text-stone-700 hover:bg-stone-100">
          Catalog
        </Link>
        <Link href="/admin/projections" className="rounded-md px-2 py-1 text-stone-700 hover:bg-stone-100">
          Projections
        </Link>
        <Link href="/admin/notifications" className="rounded-md px-2 py-1 text-stone-700 hover:bg-stone-100">
          Notifications
        </Link>
        <Link href="/admin/analytics" className="rounded-md px-2 py-1 text-stone-700 hover:bg-stone-100">
          Analytics
        </Link>
      </nav>
      {children}
    </div>
  );
}
