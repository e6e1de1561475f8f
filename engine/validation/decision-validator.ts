/**
 * The `canonical/decision` validator: the canonical JSON Schemas (shape, classifier values) plus
 * the value rules of classifiers.md that need more than one field or the load's context. Each
 * problem becomes a RecordError with the rule's code and the field as the partner spells it.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Decision, RecordError, RejectionCode } from '../../schemas/canonical/model.ts';
import { defineValidator, type ValidateContext, type ValidatorSpec } from '../components/specs.ts';
import { personCodeProblem, isRealDate } from './person-code.ts';
import { municipalityProblem } from './municipalities.ts';

const KINDS: Decision['kind'][] = ['household-status', 'benefit', 'service-decision', 'assistant-month'];

function compileAll(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
  ajv.addKeyword({ keyword: 'x-rule', schemaType: 'string' });
  const out = new Map<string, ValidateFunction>();
  for (const k of KINDS) {
    const schema = JSON.parse(readFileSync(new URL(`../../schemas/canonical/${k}.schema.json`, import.meta.url), 'utf8'));
    out.set(k, ajv.compile(schema));
  }
  return out;
}

let compiled: Map<string, ValidateFunction> | undefined;

/** `/members/0/personCode` → path for partnerField (`members.personCode`) and for people (`members[0].personCode`). */
function paths(instancePath: string, extra?: string): { generic: string; exact: string } {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  return {
    generic: parts.filter((p) => !/^\d+$/.test(p)).join('.'),
    exact: parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : (i ? '.' : '') + p)).join(''),
  };
}

function fromAjv(e: ErrorObject, record: Decision, ctx: ValidateContext): RecordError {
  const missing = e.keyword === 'required' ? String((e.params as { missingProperty: string }).missingProperty) : undefined;
  const p = paths(e.instancePath, missing);
  const field = ctx.fieldName(record.kind, p.generic);
  if (missing) return { field, code: 'REQUIRED', message: `${field} is required (${p.exact})` };
  const rule = ((e.parentSchema as Record<string, unknown> | undefined)?.['x-rule'] as RejectionCode | undefined) ?? 'FORMAT';
  const code: RejectionCode = e.keyword === 'enum' ? 'CLASSIFIER' : rule === 'REQUIRED' ? 'FORMAT' : rule;
  const value = JSON.stringify(e.data);
  if (e.keyword === 'enum') {
    // The partner's own codes when its transformer knows them: "valid: TRUCIGA, MAZNODROSINATA",
    // not the canonical NEEDY, LOW_INCOME it never sends.
    const valid = ctx.partnerCodes?.(p.generic) ?? (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
    const shown = typeof e.data === 'string' && e.data.startsWith('"') ? e.data : value;
    return { field, code, message: `${field} ${shown} is not a known code; valid: ${valid.join(', ')}` };
  }
  return { field, code, message: `${field} ${value} ${e.message ?? 'is invalid'}` };
}

/** Riga's calendar date of an instant: a decision taken today in Riga must not look like tomorrow in UTC. */
// Intl is slow (tens of µs a call) and a load has one creation time: remember the last answer.
let lastIso = '';
let lastDate = '';
function rigaDate(iso: string): string {
  if (iso !== lastIso) {
    lastDate = new Date(iso).toLocaleDateString('sv-SE', { timeZone: 'Europe/Riga' });
    lastIso = iso;
  }
  return lastDate;
}

function realDate(s: unknown): boolean {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return true; // the schema reports the shape
  return isRealDate(Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10)));
}

/**
 * The value rules of one record. A class rather than closures made per record: this runs for
 * every record of every load, and per-record closures cost allocation (and, under tsx, naming).
 */
class RuleRun {
  readonly out: RecordError[] = [];
  constructor(private readonly d: Decision, private readonly ctx: ValidateContext, private readonly already: Set<string>) {}

  field(canon: string): string { return this.ctx.fieldName(this.d.kind, canon); }

  add(canon: string, code: RejectionCode, message: string): void {
    if (this.already.has(canon)) return;
    const field = this.field(canon);
    this.out.push({ field, code, message: `${field}: ${message}` });
    this.already.add(canon);
  }

  personCode(canon: string, value: unknown): void {
    if (typeof value !== 'string' || !/^\d{11}$/.test(value)) return;
    const p = personCodeProblem(value);
    if (p) this.add(canon, 'PERSON_CODE', `${value.slice(0, 6)}-… is not a valid personal code: ${p}`);
  }

  date(canon: string, value: unknown): void {
    if (value !== undefined && !realDate(value)) this.add(canon, 'DATE', `${JSON.stringify(value)} is not a real calendar date`);
  }

  range(fromF: string, from: string | undefined, toF: string, to: string | undefined): void {
    if (from && to && from > to && realDate(from) && realDate(to) && !this.already.has(fromF)) this.add(toF, 'DATE', `${to} is before ${this.field(fromF)} ${from}`);
  }

  month(value: string): void {
    if (!/^\d{4}-\d{2}$/.test(value)) return;
    const m = Number(value.slice(5, 7));
    if (m < 1 || m > 12) this.add('month', 'PERIOD', `"${value}" is not a real month`);
    else if (value > this.ctx.load.period) this.add('month', 'PERIOD', `${value} is after the load's period ${this.ctx.load.period}`);
  }
}

function ruleErrors(d: Decision, ctx: ValidateContext, already: Set<string>): RecordError[] {
  const r = new RuleRun(d, ctx, already);
  if (/^\d{7}$/.test(d.municipality)) {
    const p = municipalityProblem(d.municipality);
    if (p) r.add('municipality', 'MUNICIPALITY', p);
    else if (d.municipality !== ctx.load.municipality) r.add('municipality', 'MUNICIPALITY', `${d.municipality} is not the load's municipality ${ctx.load.municipality}; a municipality reports only its own decisions`);
  }
  r.date('decisionDate', d.decisionDate);
  const created = rigaDate(ctx.load.createdAt);
  if (typeof d.decisionDate === 'string' && d.decisionDate > created && realDate(d.decisionDate)) {
    r.add('decisionDate', 'DATE', `${d.decisionDate} is after the load was created (${created})`);
  }
  switch (d.kind) {
    case 'household-status':
      r.date('validFrom', d.validFrom);
      r.date('validTo', d.validTo);
      r.range('validFrom', d.validFrom, 'validTo', d.validTo);
      if (Array.isArray(d.members)) for (const m of d.members) r.personCode('members.personCode', m?.personCode);
      break;
    case 'benefit':
      r.personCode('personCode', d.personCode);
      r.date('paidOn', d.paidOn);
      r.month(d.month);
      break;
    case 'service-decision':
      r.personCode('personCode', d.personCode);
      r.date('from', d.from);
      r.date('to', d.to);
      r.range('from', d.from, 'to', d.to);
      break;
    case 'assistant-month':
      r.personCode('personCode', d.personCode);
      r.personCode('assistantPersonCode', d.assistantPersonCode);
      r.month(d.month);
      if (typeof d.usedHours === 'number' && Math.abs(Math.round(d.usedHours * 10) - d.usedHours * 10) > 1e-6) {
        r.add('usedHours', 'HOURS', `${d.usedHours} has more than one decimal`);
      }
      if (typeof d.usedHours === 'number' && typeof d.grantedHours === 'number' && d.usedHours > d.grantedHours) {
        r.add('usedHours', 'HOURS', `${d.usedHours} used hours exceed the ${d.grantedHours} granted`);
      }
      break;
  }
  return r.out;
}

/** Validates one canonical decision; an empty list means accepted. */
export function validateDecision(d: Decision, ctx: ValidateContext): RecordError[] {
  compiled ??= compileAll();
  const v = compiled.get(d.kind);
  if (!v) return [{ field: 'kind', code: 'FORMAT', message: `unknown record kind ${JSON.stringify(d.kind)}` }];
  const errors: RecordError[] = [];
  const seen = new Set<string>();
  if (!v(d)) {
    for (const e of v.errors ?? []) {
      const missing = e.keyword === 'required' ? String((e.params as { missingProperty: string }).missingProperty) : undefined;
      const key = paths(e.instancePath, missing).generic;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push(fromAjv(e, d, ctx));
    }
  }
  return errors.concat(ruleErrors(d, ctx, seen));
}

export const decisionValidator: ValidatorSpec = defineValidator({
  name: 'canonical/decision',
  summary: 'Checks a canonical decision against schemas/canonical and the value rules of classifiers.md.',
  validate: validateDecision,
});
