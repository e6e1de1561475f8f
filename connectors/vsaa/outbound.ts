/**
 * The hub's client of VSAA's PensionInfo service (EP50/EP51/EP52, shared/partners/vsaa.md): signs
 * each request with the hub's identity, verifies each answer against VSAA's registered certificate,
 * and returns canonical answers (money as two-decimal strings, dates YYYY-MM-DD). Partner faults and
 * transport failures become ConnectorErrors whose httpStatus is what the query API answers
 * (DESIGN.md §4): 404 no such person, 502 partner fault or bad signature, 503 unavailable or rate
 * limited (retryable), 504 timeout (retryable).
 */
import { randomUUID } from 'node:crypto';
import {
  ConnectorError, ValidationError, childElements, isRealDate, leafValues, normalizePersonCode,
  personCodeProblem, soapPayload, type SigningIdentity, type XElement, signedSoapCall, keepAliveAgent, type SoapExchange,
} from '../../engine/index.ts';
import {
  BENEFIT_TYPES, CHANNELS, DEDUCTION_REASONS, MONTH_RE, VSAA_NS, VSAA_OPERATIONS, periodProblem,
  type VsaaDeduction, type VsaaGrant, type VsaaOperation, type VsaaPayment, type VsaaPeriod, type VsaaService,
} from './messages.ts';

export interface VsaaClientOptions {
  /** The PensionInfo endpoint, e.g. `https://…/ep/PensionInfo`. */
  baseUrl: string;
  /** The hub's signing key and certificate (the one VSAA has registered). */
  identity: SigningIdentity;
  /** VSAA's certificate: answers signed with anything else are refused. */
  vsaaCertPem: string;
  /** Deadline for one call. @defaultValue 10000 */
  timeoutMs?: number;
  /** Concurrent connections kept open to VSAA. @defaultValue 32 */
  maxSockets?: number;
  /** Sees every exchange (for the audit log's hashes, and for tests). */
  onExchange?(e: VsaaExchange): void;
}

export interface VsaaExchange extends SoapExchange {
  service: VsaaService;
}

export interface VsaaQuery {
  /** The municipality asking (ATVK), sent as RequesterId. */
  requesterId: string;
  /** Why it asks (e.g. the case number); VSAA keeps it in its own audit. */
  purpose: string;
  /** Months; defaults to the twelve months up to the current one (Riga time). */
  period?: VsaaPeriod;
  /** Unique per request; a retry of the same request should reuse it. @defaultValue a random UUID */
  requestId?: string;
  /** This call's deadline. @defaultValue the client's timeoutMs */
  timeoutMs?: number;
}

interface Answer { personCode: string; periodFrom: string; periodTo: string }
export interface VsaaDeductionsAnswer extends Answer { deductions: VsaaDeduction[] }
export interface VsaaGrantsAnswer extends Answer { grants: VsaaGrant[] }
export interface VsaaPaymentsAnswer extends Answer { payments: VsaaPayment[] }

export interface VsaaClient {
  /** EP50: deductions withheld from paid pensions, benefits and compensations. */
  ep50(personCode: string, query: VsaaQuery): Promise<VsaaDeductionsAnswer>;
  /** EP51: granted pensions, benefits and compensations. */
  ep51(personCode: string, query: VsaaQuery): Promise<VsaaGrantsAnswer>;
  /** EP52: pensions, benefits and compensations sent for payment. */
  ep52(personCode: string, query: VsaaQuery): Promise<VsaaPaymentsAnswer>;
  close(): void;
}

const RIGA_MONTH = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Riga', year: 'numeric', month: '2-digit' });

/** The twelve months up to the current month in Riga. */
export function defaultPeriod(now = new Date()): VsaaPeriod {
  const [y, m] = RIGA_MONTH.format(now).split('-').map(Number);
  const from = new Date(Date.UTC(y, m - 12, 1));
  return { from: `${from.getUTCFullYear()}-${String(from.getUTCMonth() + 1).padStart(2, '0')}`, to: `${y}-${String(m).padStart(2, '0')}` };
}

export function createVsaaClient(opts: VsaaClientOptions): VsaaClient {
  const agent = keepAliveAgent(opts.baseUrl, opts.maxSockets);
  const timeoutMs = opts.timeoutMs ?? 10_000;

  async function call(service: VsaaService, personCode: string, q: VsaaQuery): Promise<{ answer: Answer; items: XElement[] }> {
    const op = VSAA_OPERATIONS[service];
    const code = normalizePersonCode(personCode);
    const codeProblem = personCodeProblem(personCode);
    if (!code || codeProblem) throw new ValidationError('HUB_ERR_QUERY_INVALID', `personCode: ${codeProblem}`, 400, { field: 'personCode' });
    if (!q.purpose?.trim()) throw new ValidationError('HUB_ERR_QUERY_INVALID', 'purpose is required: VSAA records why each person is looked up', 400, { field: 'purpose' });
    if (!/^\d{7}$/.test(q.requesterId)) throw new ValidationError('HUB_ERR_QUERY_INVALID', 'requesterId must be a municipality\'s ATVK code', 400, { field: 'requesterId' });
    const period = q.period ?? defaultPeriod();
    const problem = periodProblem(period);
    if (problem) throw new ValidationError('HUB_ERR_QUERY_INVALID', problem, 400, { field: 'period' });

    const payload = soapPayload(VSAA_NS, op.request, [
      ['RequestId', q.requestId ?? randomUUID()], ['RequesterId', q.requesterId], ['Purpose', q.purpose.trim()],
      ['PersonCode', code], ['PeriodFrom', period.from], ['PeriodTo', period.to],
    ]);
    const items = await signedSoapCall<VsaaExchange, XElement[]>({ service }, payload, {
      url: opts.baseUrl, identity: opts.identity, post: { timeoutMs: q.timeoutMs ?? timeoutMs, soapAction: op.soapAction, agent, partner: 'vsaa' },
      answer: { partner: 'vsaa', operation: op.name, certPem: opts.vsaaCertPem, ns: VSAA_NS, response: op.response }, onExchange: opts.onExchange,
    }, (answer) => listItems(op, answer));
    return { answer: { personCode: code, periodFrom: period.from, periodTo: period.to }, items };
  }

  return {
    async ep50(personCode, q) {
      const { answer, items } = await call('ep50', personCode, q);
      return { ...answer, deductions: items.map(toDeduction) };
    },
    async ep51(personCode, q) {
      const { answer, items } = await call('ep51', personCode, q);
      return { ...answer, grants: items.map(toGrant) };
    },
    async ep52(personCode, q) {
      const { answer, items } = await call('ep52', personCode, q);
      return { ...answer, payments: items.map(toPayment) };
    },
    close() { agent.destroy(); },
  };
}

const malformed = (op: VsaaOperation, why: string): ConnectorError =>
  new ConnectorError('HUB_ERR_PARTNER_RESPONSE', `vsaa ${op.name}: unexpected answer: ${why}`, { retryable: false, httpStatus: 502, details: { connector: 'vsaa', operation: op.name } });

/** The list items of a verified answer (readSignedAnswer has checked signature, fault and element). */
/** The items of the operation's list in a verified answer. */
function listItems(op: VsaaOperation, payload: XElement): XElement[] {
  const list = childElements(payload).find((c) => c.local === op.list && c.uri === VSAA_NS);
  if (!list) throw malformed(op, `no ${op.list} in ${op.response}`);
  const items = childElements(list);
  if (items.some((i) => i.local !== op.item || i.uri !== VSAA_NS)) throw malformed(op, `${op.list} holds something other than ${op.item}`);
  return items;
}

function field(f: Record<string, string>, name: string, ok: (v: string) => boolean, op: string): string {
  const v = f[name];
  if (v === undefined || !ok(v)) throw new ConnectorError('HUB_ERR_PARTNER_RESPONSE', `vsaa ${op}: ${name} ${v === undefined ? 'is missing' : `"${v}" is not valid`}`, { retryable: false, httpStatus: 502, details: { connector: 'vsaa' } });
  return v;
}

const isMonth = (v: string): boolean => MONTH_RE.test(v);
const isDate = (v: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(v) && isRealDate(Number(v.slice(0, 4)), Number(v.slice(5, 7)), Number(v.slice(8, 10)));
const isAmount = (v: string): boolean => /^\d{1,5}(\.\d{1,2})?$/.test(v);
const oneOf = (list: readonly string[]) => (v: string): boolean => list.includes(v);
/** "412.3" → "412.30", "7" → "7.00": one spelling for every amount, never a float. */
const money = (v: string): string => {
  const [int, dec = ''] = v.split('.');
  return `${String(Number(int))}.${dec.padEnd(2, '0')}`;
};

function toDeduction(el: XElement): VsaaDeduction {
  const f = leafValues(el);
  return {
    month: field(f, 'Month', isMonth, 'GetDeductions'),
    benefitType: field(f, 'BenefitType', oneOf(BENEFIT_TYPES), 'GetDeductions') as VsaaDeduction['benefitType'],
    amount: money(field(f, 'Amount', isAmount, 'GetDeductions')),
    reason: field(f, 'Reason', oneOf(DEDUCTION_REASONS), 'GetDeductions') as VsaaDeduction['reason'],
  };
}

function toGrant(el: XElement): VsaaGrant {
  const f = leafValues(el);
  const g: VsaaGrant = {
    benefitType: field(f, 'BenefitType', oneOf(BENEFIT_TYPES), 'GetGrantedAmounts') as VsaaGrant['benefitType'],
    amount: money(field(f, 'Amount', isAmount, 'GetGrantedAmounts')),
    from: field(f, 'From', isDate, 'GetGrantedAmounts'),
  };
  if (f.To !== undefined) g.to = field(f, 'To', isDate, 'GetGrantedAmounts');
  return g;
}

function toPayment(el: XElement): VsaaPayment {
  const f = leafValues(el);
  return {
    month: field(f, 'Month', isMonth, 'GetPaymentsSent'),
    benefitType: field(f, 'BenefitType', oneOf(BENEFIT_TYPES), 'GetPaymentsSent') as VsaaPayment['benefitType'],
    amount: money(field(f, 'Amount', isAmount, 'GetPaymentsSent')),
    sentOn: field(f, 'SentOn', isDate, 'GetPaymentsSent'),
    channel: field(f, 'Channel', oneOf(CHANNELS), 'GetPaymentsSent') as VsaaPayment['channel'],
  };
}
