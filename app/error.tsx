'use client';

import { OutageNotice } from '@/components/ui/outage-notice';

type Props = { error: Error & { digest?: string }; reset: () => void; retry?: () => void };

/** A page failed (most often: the database is away). The layout and header stay; the page offers a retry. */
export default function ErrorPage({ error, reset, retry }: Props) {
  // `retry` (Next 16) refreshes the server components and resets the boundary; `reset` alone re-renders the client.
  return <OutageNotice digest={error.digest} onRetry={retry ?? reset} />;
}
