// autocannon ships no types; the bench uses its callback API only (server/bench/http.ts).
declare module 'autocannon' {
  const autocannon: (opts: Record<string, unknown>, cb: (err: Error | null, result: never) => void) => unknown;
  export default autocannon;
}
