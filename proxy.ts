import { NextResponse, type NextRequest } from 'next/server';

// A path with broken percent-encoding cannot name anything; answer it as the API answers bad input
// instead of letting the framework fail on it.
export function proxy(req: NextRequest) {
  try {
    decodeURIComponent(req.nextUrl.pathname);
  } catch {
    return NextResponse.json(
      { error: { code: 'malformed_path', message: 'The path is not valid percent-encoding.' } },
      { status: 400 },
    );
  }
  if (req.nextUrl.pathname.startsWith('/admin')) {
    // Layouts cannot see the path; the admin layout needs it to send a signed-out visitor back here.
    const headers = new Headers(req.headers);
    headers.set('x-eventcart-path', req.nextUrl.pathname + req.nextUrl.search);
    return NextResponse.next({ request: { headers } });
  }
  return NextResponse.next();
}

export const config = { matcher: ['/api/:path*', '/admin/:path*'] };
