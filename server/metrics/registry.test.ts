import { describe, expect, it } from 'vitest';
import { Registry } from './registry';

describe('the metrics registry (Prometheus text exposition 0.0.4)', () => {
  it('renders HELP, TYPE and one sample per label set, with escaped label values', () => {
    const r = new Registry();
    const c = r.counter('eventcart_commands_total', 'Commands\nhandled, by type.');
    c.inc({ type: 'add', outcome: 'ok' });
    c.inc({ outcome: 'ok', type: 'add' }, 2); // same series, labels in another order
    c.inc({ type: 'checkout', outcome: 'rejected' });
    const g = r.gauge('eventcart_subscriber_lag_events', 'Lag.');
    g.set({ subscriber: 'a"b\\c\nd' }, 7);
    r.gauge('eventcart_database_up', 'Up.').set({}, 1);
    expect(r.render()).toBe(
      [
        '# HELP eventcart_commands_total Commands\\nhandled, by type.',
        '# TYPE eventcart_commands_total counter',
        'eventcart_commands_total{type="add",outcome="ok"} 3',
        'eventcart_commands_total{type="checkout",outcome="rejected"} 1',
        '# HELP eventcart_subscriber_lag_events Lag.',
        '# TYPE eventcart_subscriber_lag_events gauge',
        'eventcart_subscriber_lag_events{subscriber="a\\"b\\\\c\\nd"} 7',
        '# HELP eventcart_database_up Up.',
        '# TYPE eventcart_database_up gauge',
        'eventcart_database_up 1',
        '',
      ].join('\n'),
    );
    expect(c.get({ outcome: 'ok', type: 'add' })).toBe(3);
  });

  it('histograms have cumulative buckets, +Inf, _sum and _count', () => {
    const r = new Registry();
    const h = r.histogram('eventcart_command_duration_seconds', 'Duration.', [0.1, 1]);
    h.observe({ type: 'add' }, 0.05);
    h.observe({ type: 'add' }, 0.5);
    h.observe({ type: 'add' }, 3);
    h.observe({ type: 'add' }, 0.1); // on the bound: counts in le="0.1"
    expect(r.render().split('\n')).toEqual([
      '# HELP eventcart_command_duration_seconds Duration.',
      '# TYPE eventcart_command_duration_seconds histogram',
      'eventcart_command_duration_seconds_bucket{type="add",le="0.1"} 2',
      'eventcart_command_duration_seconds_bucket{type="add",le="1"} 3',
      'eventcart_command_duration_seconds_bucket{type="add",le="+Inf"} 4',
      'eventcart_command_duration_seconds_sum{type="add"} 3.65',
      'eventcart_command_duration_seconds_count{type="add"} 4',
      '',
    ]);
  });

  it('every non-comment line parses as `name{labels} value`, and names and labels are checked', () => {
    const r = new Registry();
    r.counter('a_total', 'x').inc({ k: 'v' });
    r.histogram('b_seconds', 'y').observe({}, 0.2);
    r.gauge('c', 'z').set({}, NaN);
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;
    for (const line of r.render().trimEnd().split('\n')) {
      if (!line.startsWith('#')) expect(line).toMatch(sample);
    }
    expect(() => r.counter('bad name', 'x')).toThrow(/Invalid metric name/);
    expect(() => r.counter('ok_total', 'x').inc({ 'bad-label': 'v' })).toThrow(/Invalid label/);
    expect(() => r.histogram('h', 'x').observe({ le: '1' }, 1)).toThrow(/reserved/);
    expect(() => r.counter('a_total', 'x').inc({}, -1)).toThrow(/only goes up/);
    expect(() => r.gauge('a_total', 'x')).toThrow(/already a counter/);
    expect(r.counter('a_total', 'again')).toBe(r.counter('a_total', 'x')); // registering twice returns the same
  });

  it('an empty registry renders nothing', () => {
    expect(new Registry().render()).toBe('');
  });
});
