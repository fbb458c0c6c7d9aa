import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/auth/login-form';
import { currentUser } from '@/server/auth';

export const metadata: Metadata = { title: 'Sign in' };

const safe = (v: unknown) => (typeof v === 'string' && v.startsWith('/') && !v.startsWith('//') ? v : '/');

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const callbackUrl = safe(sp.callbackUrl);
  if (await currentUser()) redirect(callbackUrl);
  return (
    <div className="mx-auto max-w-sm">
      <h1 className="mb-1 text-2xl font-bold">Sign in</h1>
      <p className="mb-6 text-sm text-stone-600">Sign in to fill your cart from any device.</p>
      <div className="rounded-2xl border border-stone-200 bg-white p-6 shadow-sm">
        <LoginForm callbackUrl={callbackUrl} />
      </div>
      <details className="mt-6 rounded-xl border border-dashed border-stone-300 p-4 text-sm text-stone-600">
        <summary className="cursor-pointer font-medium">Demo accounts</summary>
        <ul className="mt-2 space-y-1 font-mono text-xs">
          <li>alice@example.com / alice</li>
          <li>bob@example.com / bob</li>
          <li>admin@example.com / admin</li>
        </ul>
      </details>
    </div>
  );
}
