import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="py-20 text-center">
      <h1 className="text-2xl font-bold">Not found</h1>
      <p className="mt-2 text-stone-600">There is nothing here, or it is not yours to see.</p>
      <Link href="/" className="mt-4 inline-block font-medium text-brand-700 underline">
        Back to the shop
      </Link>
    </div>
  );
}
