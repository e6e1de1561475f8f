/**
 * The Ministry's read API (DESIGN.md §4): a month's statistics and cross-checks, as JSON, or as CSV
 * and XLSX for analysts. Only partners of system `lm` (the Ministry of Welfare) may read them: they
 * hold every municipality's data, which no municipality may see.
 *
 * - `GET /api/v1/spolis/statistics?period=YYYY-MM[&municipality=ATVK][&format=json|csv|xlsx]`
 * - `GET /api/v1/spolis/checks?period=YYYY-MM[&municipality=ATVK][&format=json|csv|xlsx]`
 *
 * They read the store's replica when DATABASE_REPLICA_URL names one (store/replica.ts); the
 * answer says where it was read, and how far behind the replica was (READ_SOURCE_HEADERS).
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PartnerAuth } from './auth.ts';
import { httpError } from '../core/errors.ts';
import { CHECKS_CONTRACT, STATISTICS_CONTRACT } from './contracts.ts';
export { READ_SOURCE_HEADERS } from './contracts.ts';
import { municipalityProblem } from '../validation/municipalities.ts';
import {
  monthlyStatistics, monthlyChecks, statisticsTable, checksTable, toCsv, reportMonth,
  type ReportTable, type Store, type Read, type MonthlyStatistics, type MonthlyChecks,
} from '../../store/index.ts';

/** The partner system whose partners may read the Ministry's reports. */
export const MINISTRY_SYSTEM = 'lm';

export type ReportFormat = 'json' | 'csv' | 'xlsx';

export interface ReportQuery {
  period: string;
  municipality?: string;
  format: ReportFormat;
}

/**
 * Checks a report's parameters as the API and the CLI take them; a bad one throws a 400 naming it.
 * The codes are those docs/errors.md already gives a period, an ATVK code and a malformed request.
 */
export function reportQuery(q: { period?: unknown; municipality?: unknown; format?: unknown }): ReportQuery {
  const period = typeof q.period === 'string' ? q.period : '';
  const month = reportMonth(period);
  if (!month) throw httpError(400, 'HUB_ERR_LOAD_PERIOD', `period "${period}" must be a month YYYY-MM, e.g. 2026-10`, 'period');
  let municipality: string | undefined;
  if (q.municipality !== undefined && q.municipality !== '') {
    const problem = municipalityProblem(String(q.municipality), month.last);
    if (problem && municipalityProblem(String(q.municipality), month.first)) throw httpError(400, 'HUB_ERR_LOAD_MUNICIPALITY', problem, 'municipality');
    municipality = String(q.municipality);
  }
  const format = (q.format === undefined || q.format === '' ? 'json' : String(q.format)) as ReportFormat;
  if (!['json', 'csv', 'xlsx'].includes(format)) throw httpError(400, 'HUB_ERR_REQUEST', `format "${format}" must be json, csv or xlsx`, 'format');
  return { period, municipality, format };
}

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * A workbook of one sheet holding the table, numbers as numbers (euro with two decimals), the
 * header row frozen, and a second sheet saying what the figures are.
 */
export async function toXlsx(t: ReportTable, notes: string[] = []): Promise<Buffer> {
  // Loaded on first use: exceljs costs ~0.6 s at start-up, which every worker process would pay.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'spolis-hub';
  const ws = wb.addWorksheet(t.title.split(' ')[0], { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.addRow(t.columns.map((c) => c.name)).font = { bold: true };
  // An empty number cell (a figure not known yet) stays empty rather than becoming 0.
  for (const r of t.rows) ws.addRow(r.map((v, i) => (t.columns[i].kind === 'text' ? v : v === '' ? null : Number(v))));
  t.columns.forEach((c, i) => {
    const col = ws.getColumn(i + 1);
    if (c.kind === 'eur') col.numFmt = '0.00';
    col.width = c.kind === 'text' ? (c.name === 'reason' || c.name === 'records' ? 80 : 16) : Math.max(10, c.name.length + 2);
  });
  if (notes.length) {
    const about = wb.addWorksheet('about');
    about.getColumn(1).width = 120;
    for (const n of notes) about.addRow([n]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer() as ArrayBuffer);
}

const STATISTICS_NOTES = [
  'SPOLIS monthly statistics, computed from the current versions of the decisions municipalities loaded, at the time of the request.',
  'needy/low_income persons: members of households whose NEEDY (LOW_INCOME) status is in force on at least one day of the month.',
  'new persons: the status starts in the month and the person had no status of that kind from that municipality the day before (renewals are not new).',
  '<type>_recipients: distinct persons with a benefit month of that type; <type>_eur: the euro of those benefit months.',
  'service_*: social service decisions whose decision date falls in the month, by service type and outcome.',
  'assistant_*: distinct clients, hours granted and hours used of the assistant months of the month.',
  'recipients_granted: distinct persons with a benefit month granted by the municipality; recipients_by_residence: distinct persons with a benefit month from any municipality whose declared residence (PMLP) on the last day of the month is the municipality. Empty until population register data are loaded.',
  `The country row (atvk LV) counts distinct persons across the country: it can be less than the sum of the municipalities.`,
  'submissions*: complaints, applications and proposals received through the portal in the month (Riga time), by kind and topic: a municipality\'s row counts those concerning its social service, the country row all of them, those to state institutions (LM, VSAA, VDEĀVK, VSAC, NVA) included; the JSON has them by institution.',
];

/** The report rendered in `format`: the body, its content type, and where it was read (the replica or the primary). */
export async function renderReport(kind: 'statistics' | 'checks', store: Store, q: ReportQuery): Promise<{ body: string | Buffer; contentType: string; read: Read<unknown> }> {
  const read = await store.reads.run<MonthlyStatistics | MonthlyChecks>((db) => (kind === 'statistics'
    ? monthlyStatistics(db, { period: q.period, municipality: q.municipality })
    : monthlyChecks(db, { period: q.period, municipality: q.municipality })));
  const report = read.value;
  if (q.format === 'json') return { body: JSON.stringify(report, null, 1), contentType: CONTENT_TYPES.json, read };
  const table = 'rules' in report ? checksTable(report) : statisticsTable(report);
  if (q.format === 'csv') return { body: toCsv(table), contentType: CONTENT_TYPES.csv, read };
  return { body: await toXlsx(table, kind === 'statistics' ? STATISTICS_NOTES : []), contentType: CONTENT_TYPES.xlsx, read };
}

/**
 * Says in the answer where a report was read (READ_SOURCE_HEADERS); a configured replica that was
 * not used is a warning in the log, with why.
 */
export function sendReadSource(reply: FastifyReply, read: Read<unknown>, log: FastifyBaseLogger): void {
  reply.header('x-spolis-read-from', read.from);
  if (read.from === 'replica') reply.header('x-spolis-replica-lag', String(read.lagSeconds ?? 0));
  if (read.fallback) log.warn({ fallback: read.fallback, url: reply.request.url.split('?')[0] }, `report read from the primary: ${read.fallback}`);
}

export interface MinistryApiDeps {
  store: Store;
  auth: PartnerAuth;
}

export function registerMinistryApi(app: FastifyInstance, deps: MinistryApiDeps): void {
  const serve = (kind: 'statistics' | 'checks') => async (req: FastifyRequest<{ Querystring: Record<string, string> }>, reply: FastifyReply) => {
    const partner = deps.auth.authenticate(req.headers.authorization);
    if (partner.system !== MINISTRY_SYSTEM) {
      throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${partner.id} may not read the Ministry's ${kind}; only partners of system "${MINISTRY_SYSTEM}" may`);
    }
    const q = reportQuery(req.query);
    const out = await renderReport(kind, deps.store, q);
    sendReadSource(reply, out.read, req.log);
    reply.header('content-type', out.contentType);
    if (q.format !== 'json') {
      const name = `spolis-${kind}-${q.period}${q.municipality ? '-' + q.municipality : ''}.${q.format}`;
      reply.header('content-disposition', `attachment; filename="${name}"`);
    }
    return reply.send(out.body);
  };
  app.get('/api/v1/spolis/statistics', { config: { contract: STATISTICS_CONTRACT } }, serve('statistics'));
  app.get('/api/v1/spolis/checks', { config: { contract: CHECKS_CONTRACT } }, serve('checks'));
}
