'use client';

import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatMoney } from '@/components/ui/format';
import type { Dashboard } from '@/server/analytics/funnel';
import { ChartCard, DataTable } from './chart-card';

const BRAND = '#9a5424';
const SKY = '#0369a1';
const STONE = '#a8a29e';
const RED = '#b91c1c';
const AMBER = '#d97706';

const shortDay = (d: string) => d.slice(5); // MM-DD
export function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function DashboardView({ data }: { data: Dashboard }) {
  const money = (c: number) => formatMoney(c, data.currency);
  const f = data.funnel;
  const funnel = [
    { step: 'Opened', carts: f.opened, fill: STONE },
    { step: 'With items', carts: f.withItems, fill: SKY },
    { step: 'Checked out', carts: f.checkedOut, fill: BRAND },
    { step: 'Abandoned', carts: f.abandoned, fill: AMBER },
    { step: 'Expired', carts: f.expired, fill: RED },
  ];
  const pct = (x: number) => (f.opened === 0 ? '–' : `${Math.round((x / f.opened) * 100)} %`);
  // Minutes, or seconds while every day's mean is under two minutes (a demo shop checks out fast).
  const slowest = Math.max(0, ...data.days.map((d) => d.avgSecondsToCheckout ?? 0));
  const unit = slowest < 120 ? { label: 's', per: 1 } : { label: 'min', per: 60 };
  const days = data.days.map((d) => ({
    ...d,
    label: shortDay(d.day),
    revenue: d.revenueCents / 100,
    timeToCheckout: d.avgSecondsToCheckout === null ? null : Math.round((d.avgSecondsToCheckout / unit.per) * 10) / 10,
  }));
  const top = data.topProducts.map((p) => ({ ...p, revenue: p.revenueCents / 100 }));

  return (
    <div className="space-y-6">
      <dl className="grid grid-cols-2 gap-3 text-sm md:grid-cols-4" aria-label="Totals for the range">
        {[
          ['Orders', data.totals.orders.toLocaleString('en-GB')],
          ['Revenue', money(data.totals.revenueCents)],
          ['Average time to checkout', duration(data.totals.avgSecondsToCheckout)],
          ['Reservations expired', data.totals.reservationsExpired.toLocaleString('en-GB')],
        ].map(([label, value]) => (
          <div key={label} className="rounded-xl border border-stone-200 bg-white px-4 py-3" data-testid={`total-${label}`}>
            <dt className="text-xs text-stone-500">{label}</dt>
            <dd className="text-xl font-semibold tabular-nums">{value}</dd>
          </div>
        ))}
      </dl>

      <div className="grid gap-6 lg:grid-cols-2">
        <ChartCard
          testId="chart-funnel"
          title="Cart funnel"
          description={`Carts opened from ${data.from} to ${data.to}, and how far they got`}
          chart={
            <ResponsiveContainer>
              <BarChart data={funnel} layout="vertical" margin={{ left: 16, right: 24 }}>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" allowDecimals={false} />
                <YAxis type="category" dataKey="step" width={90} />
                <Tooltip />
                <Bar dataKey="carts" name="Carts" isAnimationActive={false}>
                  {funnel.map((s) => (
                    <Cell key={s.step} fill={s.fill} />
                  ))}
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          }
          table={<DataTable caption="Cart funnel" head={['Step', 'Carts', 'Of opened']} rows={funnel.map((s) => [s.step, s.carts, pct(s.carts)])} />}
        />

        <ChartCard
          testId="chart-revenue"
          title="Revenue and orders per day"
          description="By the UTC day of checkout"
          chart={
            <ResponsiveContainer>
              <ComposedChart data={days} margin={{ right: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" minTickGap={16} />
                <YAxis yAxisId="revenue" tickFormatter={(v: number) => `€${v}`} width={60} />
                <YAxis yAxisId="orders" orientation="right" allowDecimals={false} width={32} />
                <Tooltip formatter={(v, name) => (name === 'Revenue' ? money(Math.round(Number(v) * 100)) : v)} />
                <Legend />
                <Bar yAxisId="revenue" dataKey="revenue" name="Revenue" fill={BRAND} isAnimationActive={false} />
                <Line yAxisId="orders" dataKey="orders" name="Orders" stroke={SKY} dot={false} isAnimationActive={false} />
              </ComposedChart>
            </ResponsiveContainer>
          }
          table={
            <DataTable
              caption="Revenue and orders per day"
              head={['Day', 'Orders', 'Revenue']}
              rows={data.days.map((d) => [d.day, d.orders, money(d.revenueCents)])}
            />
          }
        />

        <ChartCard
          testId="chart-top-products"
          title="Top products"
          description="By revenue in the range (up to 10)"
          chart={
            <ResponsiveContainer>
              <BarChart data={top} layout="vertical" margin={{ left: 16, right: 24 }}>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" tickFormatter={(v: number) => `€${v}`} />
                <YAxis type="category" dataKey="name" width={120} />
                <Tooltip formatter={(v) => money(Math.round(Number(v) * 100))} />
                <Bar dataKey="revenue" name="Revenue" fill={BRAND} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          }
          table={
            <DataTable
              caption="Top products"
              head={['Product', 'Units', 'Orders', 'Revenue']}
              rows={data.topProducts.map((p) => [p.name, p.units, p.orders, money(p.revenueCents)])}
            />
          }
        />

        <ChartCard
          testId="chart-time-to-checkout"
          title="Average time to checkout"
          description="From opening the cart to checking out, for the carts checked out each day"
          chart={
            <ResponsiveContainer>
              <LineChart data={days} margin={{ right: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" minTickGap={16} />
                <YAxis unit={` ${unit.label}`} width={60} />
                <Tooltip />
                <Line dataKey="timeToCheckout" name={unit.label === 's' ? 'Seconds' : 'Minutes'} stroke={BRAND} connectNulls isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          }
          table={
            <DataTable
              caption="Average time to checkout per day"
              head={['Day', 'Orders', 'Average time to checkout']}
              rows={data.days.map((d) => [d.day, d.orders, duration(d.avgSecondsToCheckout)])}
            />
          }
        />

        <ChartCard
          testId="chart-carts"
          title="Carts opened, abandoned and expired"
          description="Per UTC day; reservation expiries are lines whose hold on stock lapsed"
          chart={
            <ResponsiveContainer>
              <BarChart data={days} margin={{ right: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" minTickGap={16} />
                <YAxis allowDecimals={false} width={32} />
                <Tooltip />
                <Legend />
                <Bar dataKey="cartsOpened" name="Opened" fill={STONE} isAnimationActive={false} />
                <Bar dataKey="abandoned" name="Abandoned" fill={AMBER} isAnimationActive={false} />
                <Bar dataKey="expired" name="Expired" fill={RED} isAnimationActive={false} />
                <Bar dataKey="reservationsExpired" name="Reservation expiries" fill={SKY} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          }
          table={
            <DataTable
              caption="Carts per day"
              head={['Day', 'Opened', 'Abandoned', 'Expired', 'Reservation expiries']}
              rows={data.days.map((d) => [d.day, d.cartsOpened, d.abandoned, d.expired, d.reservationsExpired])}
            />
          }
        />
      </div>
    </div>
  );
}
