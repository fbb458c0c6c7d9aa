/**
 * A tiny Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format (version 0.0.4). Enough for one app server's /api/metrics; no dependency.
 */

export type Labels = Record<string, string>;

type Kind = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(',')}}`;
}

/** Same labels in any order -> same series. */
function keyOf(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

function checkLabels(metric: string, labels: Labels) {
  for (const k of Object.keys(labels)) {
    if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`Invalid label name ${k} on ${metric}`);
    if (k === 'le' || k === 'quantile') throw new Error(`Label name ${k} is reserved (${metric})`);
  }
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: Kind,
  ) {
    if (!NAME.test(name)) throw new Error(`Invalid metric name ${name}`);
  }

  abstract samples(): string[];

  render(): string {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.kind}`, ...this.samples()].join('\n');
  }
}

export class Counter extends Metric {
  private series = new Map<string, { labels: Labels; value: number }>();

  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  inc(labels: Labels = {}, by = 1) {
    if (!(by >= 0)) throw new Error(`A counter only goes up (${this.name} by ${by})`);
    checkLabels(this.name, labels);
    const k = keyOf(labels);
    const s = this.series.get(k);
    if (s) s.value += by;
    else this.series.set(k, { labels: { ...labels }, value: by });
  }

  get(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.value ?? 0;
  }

  samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${formatValue(s.value)}`);
  }
}

/** Set directly, or computed at scrape time by `collect` (which may replace every series). */
export class Gauge extends Metric {
  private series = new Map<string, { labels: Labels; value: number }>();

  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }

  set(labels: Labels, value: number) {
    checkLabels(this.name, labels);
    this.series.set(keyOf(labels), { labels: { ...labels }, value });
  }

  reset() {
    this.series.clear();
  }

  get(labels: Labels = {}): number | undefined {
    return this.series.get(keyOf(labels))?.value;
  }

  samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${labelText(s.labels)} ${formatValue(s.value)}`);
  }
}

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram extends Metric {
  private series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  readonly buckets: number[];

  constructor(name: string, help: string, buckets = DEFAULT_BUCKETS) {
    super(name, help, 'histogram');
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number) {
    checkLabels(this.name, labels);
    const k = keyOf(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  count(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.count ?? 0;
  }

  samples(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      // Bucket counts are cumulative: each already counts every value <= its bound.
      this.buckets.forEach((le, i) => out.push(`${this.name}_bucket${labelText({ ...s.labels, le: formatValue(le) })} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private metrics = new Map<string, Metric>();

  private add<M extends Metric>(m: M): M {
    const existing = this.metrics.get(m.name);
    if (existing) {
      if (existing.kind !== m.kind) throw new Error(`Metric ${m.name} is already a ${existing.kind}`);
      return existing as M;
    }
    this.metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }

  histogram(name: string, help: string, buckets?: number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  /** The exposition text, metrics in registration order, ending with a newline. */
  render(): string {
    const blocks = [...this.metrics.values()].map((m) => m.render());
    return blocks.length ? blocks.join('\n') + '\n' : '';
  }
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
