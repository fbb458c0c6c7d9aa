const formatters = new Map<string, Intl.NumberFormat>();

/** Integer minor units -> "€24.90". Formatting happens only at the edge, never in the domain. */
export function formatMoney(cents: number, currency: string, locale = 'en-IE'): string {
  const key = `${locale}:${currency}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formatters.set(key, f);
  }
  return f.format(cents / 100);
}

export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso)) + ' UTC';
}
