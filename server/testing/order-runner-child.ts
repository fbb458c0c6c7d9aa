// An order process runner in a process of its own, for the test that SIGKILLs it mid-way
// (server/orders/resume.test.ts). CHILD_HANG_AT says where it stops and waits to be killed:
// - after_authorize: the provider has authorised (and stored the authorisation), the step's
//   transaction has not run: on resume the provider is asked again with the same key;
// - before_stock: PaymentAuthorized is stored, the stock step has not run.
// It prints "hanging <where>" when it gets there.
import { openDatabase } from '@/db/client';
import { runOrder } from '@/server/orders/runner';
import { simulatedProvider } from '@/server/payments/simulated';

const url = process.env.CHILD_DATABASE_URL;
const orderId = process.env.CHILD_ORDER_ID;
const hangAt = process.env.CHILD_HANG_AT;
if (!url || !orderId || !hangAt) throw new Error('CHILD_DATABASE_URL, CHILD_ORDER_ID and CHILD_HANG_AT are required');

const handle = openDatabase({ url, poolMax: 2 });
const hang = async (where: string) => {
  process.stdout.write(`hanging ${where}\n`);
  await new Promise(() => {});
};
const provider = simulatedProvider({ failureRate: 0, unavailableRate: 0, delayMs: 0, db: handle.db });
await runOrder(
  {
    db: handle.db,
    provider: {
      ...provider,
      authorize: async (req) => {
        const outcome = await provider.authorize(req);
        if (hangAt === 'after_authorize') await hang('after_authorize');
        return outcome;
      },
    },
    workerId: 'child-runner',
    leaseMs: Number(process.env.CHILD_LEASE_MS ?? 1000),
    maxTries: 3,
    backoffMs: () => 100,
    now: () => new Date(),
    beforeAction: async (action) => {
      if (hangAt === 'before_stock' && action === 'commit_stock') await hang('before_stock');
    },
  },
  orderId,
);
process.stdout.write('finished\n');
process.exit(0);
