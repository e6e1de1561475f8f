/**
 * SOPA bulk-export records (Statuss, Pabalsts, Pakalpojums, AsistentaMenesis) → canonical decisions.
 * Pure: no I/O. Values are normalised (codes without hyphen, classifier codes mapped) but never
 * judged here: a value that cannot be mapped is passed on as sent for the validator to reject.
 */
import { compact, partnerCodesFrom, defineTransformer, normalizePersonCode, TransformError, type Decision, type PartnerRecord, type TransformContext } from '../../engine/index.ts';
import * as CODES from './codes.ts';
import { STATUS, ROLE, BENEFIT, OUTCOME, SERVICE, UNIT, CATEGORY, code } from './codes.ts';

type Data = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const personCode = (v: unknown): string | undefined => {
  const t = text(v);
  return t === undefined ? undefined : (normalizePersonCode(t) ?? t);
};
/** "76.5" → 76.5; anything that is not a plain decimal stays a string for the validator to name. */
const hours = (v: unknown): number | string | undefined => {
  const t = text(v);
  return t === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
};
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);


function base(d: Data, ctx: TransformContext) {
  return { municipality: ctx.header.municipality, source: 'sopa' as const, decisionId: text(d.lemumaNr) as string, decisionDate: text(d.LemumaDatums) as string };
}

export function sopaToCanonical(r: PartnerRecord, ctx: TransformContext): Decision {
  const d = r.data;
  switch (r.type) {
    case 'Statuss': {
      const hh = (typeof d.Majsaimnieciba === 'object' && d.Majsaimnieciba !== null ? d.Majsaimnieciba : {}) as Data;
      const members = asArray(hh.Persona as Data | Data[] | undefined).map((p) => compact({
        personCode: personCode(p.PersonasKods) as string, givenName: text(p.Vards) as string,
        surname: text(p.Uzvards) as string, role: code(ROLE, p.Loma) as 'FIRST',
      }));
      return compact({
        kind: 'household-status', ...base(d, ctx), status: code(STATUS, d.Veids) as 'NEEDY',
        validFrom: text(d.SpekaNo) as string, validTo: text(d.SpekaLidz) as string,
        householdId: text(hh.id) as string, members, averageIncome: text(d.VidejieIenakumi),
      });
    }
    case 'Pabalsts':
      return compact({
        kind: 'benefit', ...base(d, ctx), benefitType: code(BENEFIT, d.Veids) as 'GMI', personCode: personCode(d.PersonasKods) as string,
        householdId: text(d.MajsaimniecibaId), month: text(d.Menesis) as string, amount: text(d.Summa) as string, paidOn: text(d.IzmaksasDatums),
      });
    case 'Pakalpojums': {
      const amount = text(d.Apjoms);
      return compact({
        kind: 'service-decision', ...base(d, ctx), personCode: personCode(d.PersonasKods) as string, outcome: code(OUTCOME, d.Lemums) as 'GRANTED',
        serviceType: code(SERVICE, d.PakalpojumaKods) as string, providerRegNo: text(d.SniedzejaRegNr),
        from: text(d.No) as string, to: text(d.Lidz),
        volume: amount === undefined ? undefined : compact({ amount, unit: code(UNIT, d['Apjoms@vieniba']) as 'PLACE' }),
      });
    }
    case 'AsistentaMenesis':
      return compact({
        kind: 'assistant-month', ...base(d, ctx), personCode: personCode(d.PersonasKods) as string,
        assistantPersonCode: personCode(d.AsistentaPersonasKods) as string, category: code(CATEGORY, d.Kategorija) as 'CHILD',
        month: text(d.Menesis) as string, grantedHours: hours(d.PieskirtasStundas) as number, usedHours: hours(d.IzmantotasStundas) as number,
      });
    default:
      throw new TransformError(`unknown SOPA record element ${r.type}`);
  }
}

/** Canonical field → the SOPA element or attribute that carries it, for rejection messages. */
const FIELDS: Record<string, string> = {
  decisionId: 'lemumaNr', decisionDate: 'LemumaDatums', municipality: 'Galvene/PasvaldibasATVK', kind: 'element',
  status: 'Veids', validFrom: 'SpekaNo', validTo: 'SpekaLidz', householdId: 'Majsaimnieciba@id', averageIncome: 'VidejieIenakumi',
  members: 'Persona', 'members.personCode': 'PersonasKods', 'members.givenName': 'Vards', 'members.surname': 'Uzvards', 'members.role': 'Loma',
  benefitType: 'Veids', personCode: 'PersonasKods', month: 'Menesis', amount: 'Summa', paidOn: 'IzmaksasDatums',
  outcome: 'Lemums', serviceType: 'PakalpojumaKods', providerRegNo: 'SniedzejaRegNr', from: 'No', to: 'Lidz',
  volume: 'Apjoms', 'volume.amount': 'Apjoms', 'volume.unit': 'Apjoms@vieniba',
  assistantPersonCode: 'AsistentaPersonasKods', category: 'Kategorija', grantedHours: 'PieskirtasStundas', usedHours: 'IzmantotasStundas',
};

export const sopaExportToCanonical = defineTransformer({
  name: 'sopa/export-to-canonical',
  from: 'sopa/batch',
  to: 'canonical/decision',
  summary: 'Maps each SOPA record (Statuss, Pabalsts, Pakalpojums, AsistentaMenesis) to its canonical decision.',
  transform: sopaToCanonical,
  partnerField: (kind, f) => (kind === 'benefit' && f === 'householdId' ? 'MajsaimniecibaId' : FIELDS[f] ?? f),
  partnerCodes: partnerCodesFrom(CODES),
});
