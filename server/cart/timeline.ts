// Pure helpers for walking a cart's events in time (shared by the time-travel page and its client).

/** The last version at or before a moment (0: the cart did not exist yet). Events are in version order. */
export function versionAt(events: { occurredAt: string }[], at: Date): number {
  let v = 0;
  for (let i = 0; i < events.length; i++) {
    if (new Date(events[i].occurredAt) > at) break;
    v = i + 1;
  }
  return v;
}
