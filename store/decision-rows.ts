/**
 * The decision tables and the rows a batch writes into them, encoded where the CPU is cheap.
 *
 * `DecisionRowsEncoder` is pure: it runs in a prep thread (the `spolis/upsert-decisions` step's
 * encoder, see OutboundSpec.encoder) and turns a batch's accepted records, one at a time, into
 * PostgreSQL COPY text per table (UTF-8 bytes), plus the few columns the writer still has to look
 * at (keys, the record's index, quality figures). What crosses to the writer is a few buffers and
 * arrays per kind instead of one object graph per record, and what reaches the server is COPY
 * text instead of a JSON document it must parse (measured: about half the server's CPU per record).
 *
 * It also settles what needs no store: a key repeated inside the batch is a DUPLICATE of its first
 * occurrence (classifiers.md: the first occurrence in the load wins).
 */
import { hash as digest } from 'node:crypto';
import type { Decision, HouseholdStatus, RecordError } from '../schemas/canonical/model.ts';
import { naturalKey } from '../schemas/canonical/model.ts';
import { recordTimeliness } from './quality.ts';

export interface Column {
  name: string;
  type: string;
  /** The value as the store keeps it, read from a canonical record (a month YYYY-MM as its first day). */
  get: (d: Decision) => unknown;
}

export interface KindTable {
  kind: Decision['kind'];
  table: string;
  /** The natural key's columns; municipality and source come first in every table. */
  key: string[];
  columns: Column[];
}

function col(name: string, type: string, path: string, opts: { month?: boolean } = {}): Column {
  const [a, b] = path.split('.');
  const get = b === undefined
    ? (d: Decision) => (d as unknown as Record<string, unknown>)[a]
    : (d: Decision) => ((d as unknown as Record<string, Record<string, unknown> | undefined>)[a])?.[b];
  return {
    name, type,
    get: opts.month ? (d) => { const v = get(d); return v === undefined ? null : `${v}-01`; } : (d) => get(d) ?? null,
  };
}

const base = (): Column[] => [col('municipality', 'text', 'municipality'), col('source', 'text', 'source'), col('decision_id', 'text', 'decisionId')];
const decisionDate = col('decision_date', 'date', 'decisionDate');

export const TABLES: Record<Decision['kind'], KindTable> = {
  'household-status': {
    kind: 'household-status', table: 'household_status', key: ['municipality', 'source', 'decision_id'],
    columns: [...base(), decisionDate, col('status', 'text', 'status'), col('valid_from', 'date', 'validFrom'), col('valid_to', 'date', 'validTo'),
      col('household_id', 'text', 'householdId'), col('average_income', 'numeric', 'averageIncome')],
  },
  benefit: {
    kind: 'benefit', table: 'benefit_month', key: ['municipality', 'source', 'decision_id', 'month'],
    columns: [...base(), decisionDate, col('month', 'date', 'month', { month: true }), col('benefit_type', 'text', 'benefitType'),
      col('person_code', 'text', 'personCode'), col('household_id', 'text', 'householdId'), col('amount', 'numeric', 'amount'), col('paid_on', 'date', 'paidOn')],
  },
  'service-decision': {
    kind: 'service-decision', table: 'service_decision', key: ['municipality', 'source', 'decision_id'],
    columns: [...base(), decisionDate, col('person_code', 'text', 'personCode'), col('outcome', 'text', 'outcome'), col('service_type', 'text', 'serviceType'),
      col('provider_reg_no', 'text', 'providerRegNo'), col('valid_from', 'date', 'from'), col('valid_to', 'date', 'to'),
      col('volume_amount', 'numeric', 'volume.amount'), col('volume_unit', 'text', 'volume.unit')],
  },
  'assistant-month': {
    kind: 'assistant-month', table: 'assistant_month', key: ['municipality', 'source', 'decision_id', 'month'],
    columns: [...base(), col('month', 'date', 'month', { month: true }), col('person_code', 'text', 'personCode'),
      col('assistant_person_code', 'text', 'assistantPersonCode'), col('category', 'text', 'category'),
      col('granted_hours', 'numeric', 'grantedHours'), col('used_hours', 'numeric', 'usedHours')],
  },
};

/** The columns a COPY line fills, in order: the typed columns, then the record and where it came from. */
export const copyColumns = (t: KindTable): string[] => [...t.columns.map((c) => c.name), 'record', 'content_hash', 'load_id', 'batch_seq', 'idx'];
export const MEMBER_COLUMNS = ['municipality', 'source', 'decision_id', 'member_no', 'person_code', 'given_name', 'surname', 'role'];

/** A record's timeliness, as the batch's quality figures need it (see quality.ts). */
export interface RowTimeliness {
  /** 1 when the record has a month to judge lateness by. */
  checked: Uint8Array;
  late: Uint8Array;
  /** Days from decision to arrival; -1 for a record without a decision date. */
  days: Int32Array;
}

/** One kind's rows of a batch, in the order the records came. */
export interface KindRows {
  kind: Decision['kind'];
  /**
   * COPY text as UTF-8 bytes, one line per row (copyColumns order). Bytes, not a string: a copy of
   * them crosses from the thread outside the writer's heap, and the writer sends them as they are.
   */
  copy: Uint8Array;
  /** Where each row's line ends in `copy` (byte offsets). */
  lineEnds: number[];
  /** The record's 0-based position in its batch. */
  index: number[];
  decisionId: string[];
  /** The month key column (YYYY-MM-01) for monthly kinds. */
  month?: string[];
  /** Household members (MEMBER_COLUMNS order), for household statuses: lines and the row each belongs to. */
  members?: { copy: Uint8Array; lineEnds: number[]; row: number[] };
  timeliness: RowTimeliness;
}

export interface DuplicateRow {
  index: number;
  kind: Decision['kind'];
  naturalKey: string;
  errors: RecordError[];
}

export interface DecisionRows {
  /** Every record of a batch is its load's municipality's, through one system: the keys' first two columns. */
  municipality: string | null;
  source: string | null;
  kinds: KindRows[];
  /** Later occurrences of a key this batch already holds, rejected here. */
  duplicates: DuplicateRow[];
}

export interface EncodeContext {
  /** When the batch reached the hub: timeliness counts days to it. */
  receivedAt: string;
  loadId: string;
  batchSeq: number;
  /** The partner's name of a canonical field, for the DUPLICATE rejection. */
  fieldName(kind: Decision['kind'], field: string): string;
}

/** The canonical JSON of a record and its sha1 (content_hash: whether a correction changed anything). */
export function encodeDecision(d: Decision): { json: string; hash: string } {
  const json = JSON.stringify(d);
  // The one-shot form: no Hash object per record (measured: a third of the hashing time).
  return { json, hash: digest('sha1', json) };
}

const COPY_SPECIAL = /[\\\t\n\r]/;
/** A value in COPY text format: backslash, tab and line breaks escaped; null is \N. */
export function copyValue(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = typeof v === 'string' ? v : String(v);
  return COPY_SPECIAL.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;
}

export function duplicateError(key: string, where: string, field: string): RecordError {
  return { field, code: 'DUPLICATE', message: `decision ${key} appears earlier in this load (${where}); the first occurrence wins` };
}

/**
 * COPY text written straight into a growing buffer as UTF-8, a line at a time: each line's string
 * dies young instead of living (and being promoted, and marked) until the batch is done.
 */
class LineWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  readonly ends: number[] = [];

  line(s: string): void {
    if (this.buf.length - this.len < s.length * 3) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + s.length * 3));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    this.len += this.buf.write(s, this.len, 'utf8');
    this.ends.push(this.len);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

interface Builder {
  rows: KindRows;
  lines: LineWriter;
  members: LineWriter;
  checked: number[];
  late: number[];
  days: number[];
}

/** Encodes records one at a time (the prep thread hands each over as soon as it passed validation). */
export class DecisionRowsEncoder {
  private readonly out: DecisionRows = { municipality: null, source: null, kinds: [], duplicates: [] };
  private readonly builders = new Map<Decision['kind'], Builder>();
  private readonly seen = new Map<string, number>();
  private readonly arrived: number;
  private readonly tail: string;

  constructor(private readonly ctx: EncodeContext) {
    this.arrived = Date.parse(ctx.receivedAt);
    this.tail = `\t${copyValue(ctx.loadId)}\t${ctx.batchSeq}\t`;
  }

  add(a: { index: number; record: Decision }): void {
    const d = a.record;
    const out = this.out;
    const key = naturalKey(d);
    const first = this.seen.get(`${d.kind}|${key}`);
    if (first !== undefined) {
      out.duplicates.push({ index: a.index, kind: d.kind, naturalKey: key, errors: [duplicateError(key, `record ${first} of this batch`, this.ctx.fieldName(d.kind, 'decisionId'))] });
      return;
    }
    this.seen.set(`${d.kind}|${key}`, a.index);
    if (out.municipality === null) { out.municipality = d.municipality; out.source = d.source; }
    // The writer keys its lookups by the batch's municipality and source; a batch mixing them is a bug upstream.
    if (d.municipality !== out.municipality || d.source !== out.source) {
      throw new Error(`record ${a.index} is for ${d.municipality}/${d.source}, the batch's others for ${out.municipality}/${out.source}`);
    }
    const t = TABLES[d.kind];
    const b = this.builders.get(d.kind) ?? this.builder(t);
    const { json, hash } = encodeDecision(d);
    let line = '';
    for (const c of t.columns) line += `${copyValue(c.get(d))}\t`;
    line += `${json.includes('\\') ? json.replace(/\\/g, '\\\\') : json}\t${hash}${this.tail}${a.index}\n`;
    const row = b.rows.index.length;
    b.lines.line(line);
    b.rows.index.push(a.index);
    b.rows.decisionId.push(d.decisionId);
    if (b.rows.month) b.rows.month.push(`${(d as { month: string }).month}-01`);
    if (d.kind === 'household-status') {
      const m = b.rows.members!;
      const head = `${copyValue(d.municipality)}\t${copyValue(d.source)}\t${copyValue(d.decisionId)}\t`;
      (d as HouseholdStatus).members.forEach((p, n) => {
        const ml = `${head}${n + 1}\t${copyValue(p.personCode)}\t${copyValue(p.givenName)}\t${copyValue(p.surname)}\t${copyValue(p.role)}\n`;
        b.members.line(ml);
        m.row.push(row);
      });
    }
    const tl = recordTimeliness(d, this.arrived);
    b.checked.push(tl.checked ? 1 : 0);
    b.late.push(tl.late ? 1 : 0);
    b.days.push(tl.days);
  }

  finish(): DecisionRows {
    for (const b of this.builders.values()) {
      b.rows.copy = b.lines.bytes();
      b.rows.lineEnds = b.lines.ends;
      if (b.rows.members) {
        b.rows.members.copy = b.members.bytes();
        b.rows.members.lineEnds = b.members.ends;
      }
      b.rows.timeliness = { checked: Uint8Array.from(b.checked), late: Uint8Array.from(b.late), days: Int32Array.from(b.days) };
      this.out.kinds.push(b.rows);
    }
    return this.out;
  }

  private builder(t: KindTable): Builder {
    const b: Builder = {
      rows: {
        kind: t.kind, copy: EMPTY, lineEnds: [], index: [], decisionId: [], month: t.key.includes('month') ? [] : undefined,
        members: t.kind === 'household-status' ? { copy: EMPTY, lineEnds: [], row: [] } : undefined,
        timeliness: { checked: new Uint8Array(0), late: new Uint8Array(0), days: new Int32Array(0) },
      },
      lines: new LineWriter(), members: new LineWriter(), checked: [], late: [], days: [],
    };
    this.builders.set(t.kind, b);
    return b;
  }
}

export function encodeDecisionRows(accepted: { index: number; record: Decision }[], ctx: EncodeContext): DecisionRows {
  const enc = new DecisionRowsEncoder(ctx);
  for (const a of accepted) enc.add(a);
  return enc.finish();
}

const EMPTY = new Uint8Array(0);

/** The lines of `copy` whose row number `keep` accepts (empty when none is). */
export function selectLines(copy: Uint8Array, lineEnds: number[], keep: (row: number) => boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < lineEnds.length; i++) if (keep(i)) parts.push(copy.subarray(i === 0 ? 0 : lineEnds[i - 1], lineEnds[i]));
  return Buffer.concat(parts);
}
