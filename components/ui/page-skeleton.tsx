import { Skeleton } from './skeleton';

/** A heading and a few rows: the shape of list and detail pages while their data loads. */
export function PageSkeleton({ label, rows = 4 }: { label: string; rows?: number }) {
  return (
    <div aria-busy="true" aria-label={label} className="space-y-4">
      <Skeleton className="h-8 w-56" />
      <div className="space-y-3 rounded-2xl border border-stone-200 bg-white p-6">
        {Array.from({ length: rows }, (_, i) => (
          <Skeleton key={i} className="h-10 w-full" />
        ))}
      </div>
    </div>
  );
}
