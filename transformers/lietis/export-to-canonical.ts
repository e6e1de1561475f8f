/**
 * LIETIS export records (Status, Benefit, Service, Assistant; partners/lietis.md) → canonical decisions.
 * Pure: no I/O. LIETIS's spellings are converted (DD.MM.YYYY dates, MM.YYYY months, decimal commas,
 * hyphenated personal codes, classifier codes) but never judged here: a value that is not in
 * LIETIS's shape is passed on as sent for the validator to reject with the rule's code.
 */
import { compact, partnerCodesFrom, defineTransformer, normalizePersonCode, TransformError, type Decision, type PartnerRecord, type TransformContext } from '../../engine/index.ts';
import * as CODES from './codes.ts';
import { BENEFIT, CATEGORY, OUTCOME, ROLE, SERVICE, STATUS, UNIT, code, date, decimal, hours, month } from './codes.ts';

/** A record's attributes, as the lietis/batch format hands them over; Status also has `Member`. */
type Data = Record<string, unknown>;

/** Attribute values are trimmed; an empty attribute counts as absent, so it is reported as REQUIRED. */
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const personCode = (v: unknown): string | undefined => {
  const t = text(v);
  return t === undefined ? undefined : (normalizePersonCode(t) ?? t);
};
const members = (v: unknown): Data[] => (Array.isArray(v) ? (v as Data[]) : []);


function base(d: Data, ctx: TransformContext) {
  // The municipality is the header's: LIETIS records do not repeat it.
  return { municipality: ctx.header.municipality, source: 'lietis' as const, decisionId: text(d.no) as string, decisionDate: date(text(d.decided)) as string };
}

export function lietisToCanonical(r: PartnerRecord, ctx: TransformContext): Decision {
  const d = r.data;
  switch (r.type) {
    case 'Status':
      return compact({
        kind: 'household-status', ...base(d, ctx), status: code(STATUS, text(d.kind)) as 'NEEDY',
        validFrom: date(text(d.from)) as string, validTo: date(text(d.to)) as string,
        householdId: text(d.household) as string, averageIncome: decimal(text(d.income)),
        members: members(d.Member).map((m) => compact({
          personCode: personCode(m.code) as string, givenName: text(m.name) as string,
          surname: text(m.surname) as string, role: code(ROLE, text(m.first)) as 'FIRST',
        })),
      });
    case 'Benefit':
      return compact({
        kind: 'benefit', ...base(d, ctx), benefitType: code(BENEFIT, text(d.code)) as 'GMI', personCode: personCode(d.person) as string,
        householdId: text(d.household), month: month(text(d.month)) as string, amount: decimal(text(d.amount)) as string,
        paidOn: date(text(d.paid)),
      });
    case 'Service': {
      const amount = decimal(text(d.volume));
      const unit = code(UNIT, text(d.unit)) as 'PLACE' | undefined;
      return compact({
        kind: 'service-decision', ...base(d, ctx), personCode: personCode(d.person) as string, outcome: code(OUTCOME, text(d.result)) as 'GRANTED',
        serviceType: code(SERVICE, text(d.service)) as string, providerRegNo: text(d.provider),
        from: date(text(d.from)) as string, to: date(text(d.to)),
        // Either attribute alone makes a volume, so that the missing half is reported as REQUIRED
        // instead of a unit without a quantity being dropped without a word.
        volume: amount === undefined && unit === undefined ? undefined : compact({ amount: amount as string, unit: unit as 'PLACE' }),
      });
    }
    case 'Assistant':
      return compact({
        kind: 'assistant-month', ...base(d, ctx), personCode: personCode(d.person) as string,
        assistantPersonCode: personCode(d.assistant) as string, category: code(CATEGORY, text(d.category)) as 'CHILD',
        month: month(text(d.month)) as string, grantedHours: hours(text(d.granted)) as number, usedHours: hours(text(d.used)) as number,
      });
    default:
      throw new TransformError(`unknown LIETIS record element ${r.type}`);
  }
}

/** Canonical field → the LIETIS attribute that carries it, for rejection messages. */
const FIELDS: Record<string, string> = {
  decisionId: 'no', decisionDate: 'decided', municipality: 'Export@municipality', kind: 'element',
  status: 'kind', validFrom: 'from', validTo: 'to', householdId: 'household', averageIncome: 'income',
  members: 'Member', 'members.personCode': 'Member@code', 'members.givenName': 'Member@name',
  'members.surname': 'Member@surname', 'members.role': 'Member@first',
  benefitType: 'code', personCode: 'person', month: 'month', amount: 'amount', paidOn: 'paid',
  outcome: 'result', serviceType: 'service', providerRegNo: 'provider', from: 'from', to: 'to',
  volume: 'volume', 'volume.amount': 'volume', 'volume.unit': 'unit',
  assistantPersonCode: 'assistant', category: 'category', grantedHours: 'granted', usedHours: 'used',
};

/** LIETIS spells a canonical field the same way in every record kind, so `kind` is not needed. */
export function lietisField(_kind: Decision['kind'], canonicalField: string): string {
  return FIELDS[canonicalField] ?? canonicalField;
}

export const lietisExportToCanonical = defineTransformer({
  name: 'lietis/export-to-canonical',
  from: 'lietis/batch',
  to: 'canonical/decision',
  summary: 'Maps each LIETIS record (Status, Benefit, Service, Assistant) to its canonical decision.',
  transform: lietisToCanonical,
  partnerField: lietisField,
  partnerCodes: partnerCodesFrom(CODES),
});
