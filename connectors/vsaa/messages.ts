/**
 * VSAA's message vocabulary (shared/partners/vsaa.md, schemas/xsd/vsaa-ep.xsd), shared by the
 * hub's client and the simulator so that both speak from one list of names and codes.
 */
export const VSAA_NS = 'urn:lv:vsaa:ep:1';

export type VsaaService = 'ep50' | 'ep51' | 'ep52';

export interface VsaaOperation {
  service: VsaaService;
  name: 'GetDeductions' | 'GetGrantedAmounts' | 'GetPaymentsSent';
  request: string;
  response: string;
  /** The list element of the response and its items. */
  list: 'Deductions' | 'Grants' | 'Payments';
  item: 'Deduction' | 'Grant' | 'Payment';
  soapAction: string;
}

const op = (service: VsaaService, name: VsaaOperation['name'], list: VsaaOperation['list'], item: VsaaOperation['item']): VsaaOperation => ({
  service, name, request: `${name}Request`, response: `${name}Response`, list, item, soapAction: `${VSAA_NS}#${name}`,
});

export const VSAA_OPERATIONS: Record<VsaaService, VsaaOperation> = {
  ep50: op('ep50', 'GetDeductions', 'Deductions', 'Deduction'),
  ep51: op('ep51', 'GetGrantedAmounts', 'Grants', 'Grant'),
  ep52: op('ep52', 'GetPaymentsSent', 'Payments', 'Payment'),
};

export const BENEFIT_TYPES = [
  'OLD_AGE_PENSION', 'DISABILITY_PENSION', 'SURVIVOR_PENSION', 'UNEMPLOYMENT_BENEFIT', 'SICKNESS_BENEFIT',
  'MATERNITY_BENEFIT', 'PARENTAL_BENEFIT', 'CHILD_CARE_BENEFIT', 'STATE_SOCIAL_SECURITY_BENEFIT',
] as const;
export type BenefitType = (typeof BENEFIT_TYPES)[number];
export const DEDUCTION_REASONS = ['ALIMONY', 'INCOME_TAX', 'OVERPAYMENT', 'ENFORCEMENT'] as const;
export type DeductionReason = (typeof DEDUCTION_REASONS)[number];
export const CHANNELS = ['BANK', 'POST'] as const;
export type PaymentChannel = (typeof CHANNELS)[number];

/** The fault codes of vsaa.md. */
export type VsaaErrorCode = 'INVALID_REQUEST' | 'PERSON_NOT_FOUND' | 'ACCESS_DENIED' | 'SIGNATURE_INVALID' | 'UNAVAILABLE';

/** Canonical answers: money a decimal string with two decimals, dates YYYY-MM-DD, months YYYY-MM. */
export interface VsaaDeduction { month: string; benefitType: BenefitType; amount: string; reason: DeductionReason }
export interface VsaaGrant { benefitType: BenefitType; amount: string; from: string; to?: string }
export interface VsaaPayment { month: string; benefitType: BenefitType; amount: string; sentOn: string; channel: PaymentChannel }

export interface VsaaPeriod {
  /** YYYY-MM */
  from: string;
  /** YYYY-MM, at most 24 months after `from`. */
  to: string;
}

export const MAX_PERIOD_MONTHS = 24;

/** Months from `from` to `to` (YYYY-MM), negative when `to` is earlier. */
export function monthsBetween(from: string, to: string): number {
  return (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7));
}

export const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Why a period is not one VSAA accepts, or null. */
export function periodProblem(p: VsaaPeriod): string | null {
  if (!MONTH_RE.test(p.from)) return 'PeriodFrom must be a month YYYY-MM';
  if (!MONTH_RE.test(p.to)) return 'PeriodTo must be a month YYYY-MM';
  const n = monthsBetween(p.from, p.to);
  if (n < 0) return 'PeriodFrom is after PeriodTo';
  if (n > MAX_PERIOD_MONTHS) return `PeriodFrom and PeriodTo are ${n} months apart; VSAA allows at most ${MAX_PERIOD_MONTHS}`;
  return null;
}
