/**
 * VSAA's three e-services as `call:` components (vsaa.md): EP50 deductions, EP51 granted amounts,
 * EP52 payments sent. Endpoint and certificate come from the vsaa partner of partners.yaml (the
 * engine resolves them into `ctx.target`); the request arrives already checked by the query API,
 * and what is left to check here is VSAA's own rule on the period (at most 24 months).
 */
import {
  ValidationError, defineCall, type Call, type CallContext, type CallRequest, type CallSpec, socketsConfig, socketsOf,
} from '../../engine/index.ts';
import { createVsaaClient, defaultPeriod } from './outbound.ts';
import { MAX_PERIOD_MONTHS, monthsBetween, type VsaaPeriod, type VsaaService } from './messages.ts';

const CONFIG = socketsConfig('VSAA');

const shift = (month: string, by: number): string => {
  const i = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + by;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
};

/**
 * The period VSAA is asked about: both ends as given; a missing end makes it the twelve months up
 * to periodTo, or from periodFrom up to the current month (Riga time).
 */
export function vsaaPeriod(req: Pick<CallRequest, 'periodFrom' | 'periodTo'>, now = new Date()): VsaaPeriod {
  const current = defaultPeriod(now);
  const to = req.periodTo ?? current.to;
  const from = req.periodFrom ?? (req.periodTo ? shift(to, -11) : current.from);
  const n = monthsBetween(from, to);
  if (n < 0) throw new ValidationError('HUB_ERR_QUERY_INVALID', `periodFrom ${from} is after periodTo ${to}`, 400, { field: req.periodFrom ? 'periodFrom' : 'periodTo' });
  if (n > MAX_PERIOD_MONTHS) {
    throw new ValidationError('HUB_ERR_QUERY_INVALID', `periodFrom ${from} and periodTo ${to} are ${n} months apart; VSAA answers for at most ${MAX_PERIOD_MONTHS}`, 400, { field: req.periodTo ? 'periodTo' : 'periodFrom' });
  }
  return { from, to };
}

function vsaaCall(service: VsaaService, options: Record<string, unknown>, ctx: CallContext): Call {
  const client = createVsaaClient({
    baseUrl: ctx.target.endpoint, identity: ctx.identity, vsaaCertPem: ctx.target.certPem,
    maxSockets: socketsOf(options),
  });
  return {
    async call(req, { timeoutMs }) {
      const query = { requesterId: req.requesterId, purpose: req.purpose, period: vsaaPeriod(req), requestId: req.requestId, timeoutMs };
      return { ...await client[service](req.personCode, query) };
    },
    async close() { client.close(); },
  };
}

export const vsaaGetDeductions: CallSpec = defineCall({
  name: 'vsaa/get-deductions', status: 'beta', partner: 'vsaa', config: CONFIG,
  summary: 'EP50: deductions withheld from one person\'s paid pensions, benefits and compensations, month by month.',
  create: (options, ctx) => vsaaCall('ep50', options, ctx),
});

export const vsaaGetGrantedAmounts: CallSpec = defineCall({
  name: 'vsaa/get-granted-amounts', status: 'beta', partner: 'vsaa', config: CONFIG,
  summary: 'EP51: the pensions, benefits and compensations granted to one person, with monthly amounts.',
  create: (options, ctx) => vsaaCall('ep51', options, ctx),
});

export const vsaaGetPayments: CallSpec = defineCall({
  name: 'vsaa/get-payments', status: 'beta', partner: 'vsaa', config: CONFIG,
  summary: 'EP52: the pensions, benefits and compensations sent to one person for payment.',
  create: (options, ctx) => vsaaCall('ep52', options, ctx),
});
