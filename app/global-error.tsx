'use client';

import { OutageNotice } from '@/components/ui/outage-notice';
import './globals.css';

type Props = { error: Error & { digest?: string }; reset: () => void; retry?: () => void };

/** The root layout itself failed: this replaces the whole document, so it brings its own html and body. */
export default function GlobalError({ error, retry }: Props) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-stone-50 font-sans text-stone-900">
        <main id="main" className="mx-auto max-w-6xl px-4 py-8">
          <OutageNotice digest={error.digest} onRetry={retry ?? (() => window.location.reload())} />
        </main>
      </body>
    </html>
  );
}
