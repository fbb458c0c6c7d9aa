import 'server-only';
import type { Subscriber } from '../eventstore';
import { cartFunnelSubscriber } from '../analytics/funnel';
import { salesDailySubscriber } from '../analytics/sales-daily';

/** Every asynchronous subscriber the app servers run. Add one here and it is polled and measured. */
export const subscribers: Subscriber[] = [salesDailySubscriber, cartFunnelSubscriber];
