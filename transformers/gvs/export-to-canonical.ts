/**
 * GVS bulk-export record lines (status, benefit, service, assistant) → canonical decisions.
 * Pure: no I/O. Values are normalised (cents to euro strings, codes mapped, personal codes without
 * hyphen) but never judged here: a value that cannot be mapped is passed on in a form the validator
 * rejects with the right code and the GVS field name.
 */
import { compact, partnerCodesFrom, defineTransformer, normalizePersonCode, TransformError, type Decision, type PartnerRecord, type TransformContext } from '../../engine/index.ts';
import * as CODES from './codes.ts';
import { STATUS, ROLE, BENEFIT, OUTCOME, SERVICE, UNIT, CATEGORY, code } from './codes.ts';

type Data = Record<string, unknown>;

/**
 * A string field: strings trimmed, empty ones absent (REQUIRED); a number becomes its String()
 * (decisionId 17 → "17"); booleans, objects and arrays pass through unchanged so that the schema
 * rejects their type, where String() would turn `true` into an acceptable name.
 */
export function text(v: unknown): unknown {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number') return String(v);
  return v === null ? undefined : v;
}

export function personCode(v: unknown): unknown {
  const t = text(v);
  return typeof t === 'string' ? (normalizePersonCode(t) ?? t) : t;
}

/**
 * Cents (integer) → euro decimal string by moving the decimal point, never through float
 * arithmetic: 7550 → "75.50", 5 → "0.05", -100 → "-1.00" (AMOUNT rejects the sign). A fractional
 * number of cents keeps its digits (75.5 → "0.755"), which the two-decimal rule rejects. Anything
 * that is not a JSON number goes on in JSON spelling ("\"7550\"" for the string "7550"), which the
 * amount pattern never matches: read bare, "7550" would be taken for 7550 euro.
 */
export function centsToEuro(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') return JSON.stringify(v);
  const s = String(v);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return s; // 1e+21 and the like: the pattern rejects the exponent
  const int = m[2].padStart(3, '0');
  const euros = int.slice(0, -2).replace(/^0+(?=\d)/, '');
  return `${m[1]}${euros}.${int.slice(-2)}${m[3] ?? ''}`;
}

/** Hours are numbers; a numeric string is read as one (as SOPA's are), anything else goes on for the schema to reject. */
export function hours(v: unknown): unknown {
  if (typeof v === 'string') return /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v.trim() === '' ? undefined : v;
  return v === null ? undefined : v;
}


function base(d: Data, ctx: TransformContext) {
  return { municipality: ctx.header.municipality, source: 'gvs' as const, decisionId: text(d.decisionId) as string, decisionDate: text(d.decisionDate) as string };
}

/**
 * gvs/batch rejects a `members` that is not a list of objects (the validator walks the list and
 * would fail the whole batch on anything else); reaching here with one is a bug, not bad data.
 */
function members(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((p) => typeof p !== 'object' || p === null || Array.isArray(p))) {
    throw new TransformError('members must be a list of member objects (gvs/batch rejects any other shape)');
  }
  return v.map((p: unknown) => {
    const m = p as Data;
    return compact({
      personCode: personCode(m.personCode) as string, givenName: text(m.givenName) as string,
      surname: text(m.surname) as string, role: code(ROLE, m.firstMember) as 'FIRST',
    });
  });
}

export function gvsToCanonical(r: PartnerRecord, ctx: TransformContext): Decision {
  const d = r.data;
  switch (r.type) {
    case 'status':
      return compact({
        kind: 'household-status', ...base(d, ctx), status: code(STATUS, d.statusCode) as 'NEEDY',
        validFrom: text(d.validFrom) as string, validTo: text(d.validTo) as string, householdId: text(d.householdId) as string,
        members: members(d.members) as [], averageIncome: centsToEuro(d.averageIncomeCents),
      });
    case 'benefit':
      return compact({
        kind: 'benefit', ...base(d, ctx), benefitType: code(BENEFIT, d.benefitCode) as 'GMI', personCode: personCode(d.personCode) as string,
        householdId: text(d.householdId) as string, month: text(d.month) as string, amount: centsToEuro(d.amountCents) as string,
        paidOn: text(d.paidOn) as string,
      });
    case 'service': {
      const amount = text(d.volume); // a quantity in its unit, not money: written as sent
      const unit = code(UNIT, d.unit);
      return compact({
        kind: 'service-decision', ...base(d, ctx), personCode: personCode(d.personCode) as string, outcome: code(OUTCOME, d.decisionCode) as 'GRANTED',
        serviceType: code(SERVICE, d.serviceCode) as string, providerRegNo: text(d.providerRegNo) as string,
        from: text(d.from) as string, to: text(d.to) as string,
        // A unit without a volume is reported (volume REQUIRED) rather than silently dropped.
        volume: amount === undefined && unit === undefined ? undefined : compact({ amount: amount as string, unit: unit as 'PLACE' }),
      });
    }
    case 'assistant':
      return compact({
        kind: 'assistant-month', ...base(d, ctx), personCode: personCode(d.personCode) as string,
        assistantPersonCode: personCode(d.assistantPersonCode) as string, category: code(CATEGORY, d.categoryCode) as 'CHILD',
        month: text(d.month) as string, grantedHours: hours(d.grantedHours) as number, usedHours: hours(d.usedHours) as number,
      });
    default:
      throw new TransformError(`unknown GVS recordType ${r.type}`);
  }
}

/** Canonical field → the GVS JSON field that carries it, for rejection messages. Member fields say they sit in `members`. */
const FIELDS: Record<string, string> = {
  decisionId: 'decisionId', decisionDate: 'decisionDate', municipality: 'header.municipality', kind: 'recordType',
  status: 'statusCode', validFrom: 'validFrom', validTo: 'validTo', householdId: 'householdId', averageIncome: 'averageIncomeCents',
  members: 'members', 'members.personCode': 'members[].personCode', 'members.givenName': 'members[].givenName',
  'members.surname': 'members[].surname', 'members.role': 'members[].firstMember',
  benefitType: 'benefitCode', personCode: 'personCode', month: 'month', amount: 'amountCents', paidOn: 'paidOn',
  outcome: 'decisionCode', serviceType: 'serviceCode', providerRegNo: 'providerRegNo', from: 'from', to: 'to',
  volume: 'volume', 'volume.amount': 'volume', 'volume.unit': 'unit',
  assistantPersonCode: 'assistantPersonCode', category: 'categoryCode', grantedHours: 'grantedHours', usedHours: 'usedHours',
};

/** The GVS spelling of a canonical field (the same in every record kind). */
export function gvsField(_kind: Decision['kind'], canonicalField: string): string {
  return FIELDS[canonicalField] ?? canonicalField;
}

export const gvsExportToCanonical = defineTransformer({
  name: 'gvs/export-to-canonical',
  from: 'gvs/batch',
  to: 'canonical/decision',
  summary: 'Maps each GVS record line (status, benefit, service, assistant) to its canonical decision.',
  transform: gvsToCanonical,
  partnerField: gvsField,
  partnerCodes: partnerCodesFrom(CODES),
});
