/**
 * The annual state statistical report on social services and social assistance (issue 13.5;
 * docs/partners/portal-state-reports.md). A municipality fetches its report pre-filled from its
 * loaded records, corrects it and submits it; the Ministry sees, per municipality, where the
 * submitted figures differ from the records.
 *
 * - `GET /api/v1/state-reports/{year}[?municipality=ATVK]`: a municipality its own report; the
 *   Ministry any municipality's (municipality required).
 * - `PUT /api/v1/state-reports/{year}` `{figures, comments?}`: a municipality submits its own; until
 *   the deadline (calendar.ts) a resubmission is the next version, after it 409.
 * - `GET /api/v1/spolis/state-report-findings?year=YYYY[&format=json|csv|xlsx]`: the Ministry only.
 *
 * The route (routes/portal-state-reports.yaml) admits the partners at all; each operation then
 * admits its kinds of caller (deny by default). The figures are aggregates, not personal data;
 * still every Ministry read and every submission, accepted or refused, is an audit row, and an
 * accepted submission's row commits in the same transaction as the submission.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpError, isHubError } from '../../engine/core/errors.ts';
import { PartnerAuth, assertAccess } from '../../engine/http/auth.ts';
import { CONTENT_TYPES, sendReadSource, toXlsx } from '../../engine/http/ministry-api.ts';
import { municipalityProblem } from '../../engine/validation/municipalities.ts';
import type { PartnerDef, RouteDef } from '../../engine/config/types.ts';
import { appendAudit, toCsv } from '../../store/index.ts';
import { currentStateReportVersion, stateReportRecords, zeroFigures, type StateReportSubmission } from '../../store/state-reports.ts';
import { routeAt, type EServiceDeps } from '../common/deps.ts';
import { actorOf, assertCaller, type Caller } from '../common/portal-caller.ts';
import { readCaller, readJsonRequest } from '../common/request.ts';
import { deadlineOf, isOpen, reportYear } from './calendar.ts';
import { INVALID, readSubmission } from './figures.ts';
import { FINDINGS_NOTES, findingsTable } from './findings.ts';
import { stateReportFindings, stateReportView } from './report.ts';
import { STATE_REPORT_CONTRACTS as C } from './contract.ts';

export const STATE_REPORTS_PATH = '/api/v1/state-reports';
export const FINDINGS_PATH = '/api/v1/spolis/state-report-findings';
const SERVICE = 'eservice:state-reports';
/** 31 figures and a comment on each fit with room to spare; nothing larger is read. */
const BODY_LIMIT = 128 * 1024;

type Query = Record<string, string | undefined>;

export function registerStateReports(app: FastifyInstance, deps: EServiceDeps): void {
  const route = routeAt(deps.routes, STATE_REPORTS_PATH);
  if (!route) return;
  const auth = new PartnerAuth(deps.partners);

  /** The partner, admitted by the route before anything else is read (a portal request needs no assertion to be refused). */
  const admit = (req: FastifyRequest, r: RouteDef): PartnerDef => {
    const partner = auth.authenticate(req.headers.authorization);
    assertAccess(r, partner);
    return partner;
  };

  /** An audit row before the answer leaves; without it, no answer. */
  const audited = async (caller: Caller, subject: string, purpose: string, outcome: string, details: Record<string, unknown>): Promise<void> => {
    try {
      await deps.audit.append({ actor: actorOf(caller), subject, service: SERVICE, purpose, outcome, details });
    } catch (e) {
      deps.logger.error({ err: e, route: route.id }, 'audit row not written; answer withheld');
      throw httpError(503, 'HUB_ERR_AUDIT_UNAVAILABLE', 'the audit row could not be written, so the answer is withheld; retry');
    }
  };

  app.get<{ Params: { year: string }; Querystring: Query }>(`${STATE_REPORTS_PATH}/:year`, { config: { contract: C.get } }, async (req) => {
    admit(req, route);
    const caller = await readCaller(req, deps.callers);
    assertCaller(caller, ['municipality', 'ministry'], 'read a state report');
    const year = reportYear(req.params.year);
    const asked = req.query.municipality || undefined;
    let atvk: string;
    if (caller.kind === 'municipality') {
      if (asked !== undefined && asked !== caller.municipality) {
        throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${caller.partner.id} reports for ${caller.municipality} and may not read the report of ${asked}`, 'municipality');
      }
      atvk = caller.municipality;
    } else {
      if (asked === undefined) throw httpError(400, INVALID, 'municipality: name the municipality whose report to read (?municipality=ATVK)', 'municipality');
      const problem = municipalityProblem(asked, `${year}-12-31`) && municipalityProblem(asked, `${year}-01-01`);
      if (problem) throw httpError(400, INVALID, `municipality: ${problem}`, 'municipality');
      atvk = asked;
    }
    const view = await stateReportView(deps.store.db, year, atvk);
    if (caller.kind === 'ministry') await audited(caller, `state-report:${atvk}:${year}`, 'read a municipality\'s state report', 'answered', { year, municipality: atvk, status: view.status });
    return view;
  });

  app.put<{ Params: { year: string } }>(`${STATE_REPORTS_PATH}/:year`, { bodyLimit: BODY_LIMIT, config: { contract: C.submit } }, async (req) => {
    const partner = admit(req, route);
    const { caller, body } = await readJsonRequest(req, deps.callers, INVALID);
    let refused: { subject: string; details: Record<string, unknown> } = { subject: `state-report:?:${req.params.year}`, details: { year: req.params.year } };
    try {
      assertCaller(caller, ['municipality'], 'submit a state report');
      const atvk = caller.municipality;
      refused = { subject: `state-report:${atvk}:${req.params.year}`, details: { year: req.params.year, municipality: atvk } };
      const year = reportYear(req.params.year);
      if (body.municipality !== undefined && body.municipality !== atvk) {
        throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${partner.id} reports for ${atvk} and may not submit the report of ${String(body.municipality)}`, 'municipality');
      }
      if (!isOpen(year)) {
        throw httpError(409, 'HUB_ERR_STATE_REPORT_CLOSED', `the ${year} report took submissions until the end of ${deadlineOf(year)} (Latvian time); the submitted version stands, ask the Ministry to correct it`, 'year');
      }
      const s = readSubmission(body);
      const records = (await stateReportRecords(deps.store.db, year, atvk)).get(atvk) ?? zeroFigures();
      const item: StateReportSubmission = { municipality: atvk, year, figures: s.figures, comments: s.comments, records, submittedBy: partner.id, requestId: req.id };
      let version = 0;
      await deps.flows.apply(route, 'spolis.state-report', [item], { routeId: route.id, actor: partner.id, origin: 'push', requestId: req.id }, {
        after: async (tx, out) => {
          version = await currentStateReportVersion(tx, atvk, year);
          const differing = Object.keys(s.figures).filter((c) => s.figures[c] !== records[c]);
          await appendAudit(tx, {
            actor: actorOf(caller), subject: `state-report:${atvk}:${year}`, service: SERVICE, purpose: 'submit the state report',
            outcome: out.count ? 'submitted' : 'unchanged', details: { year, municipality: atvk, version, differing },
          });
        },
      });
      return stateReportView(deps.store.db, year, atvk);
    } catch (e) {
      if (isHubError(e) && e.httpStatus >= 400 && e.httpStatus < 500) {
        await deps.audit.append({ actor: actorOf(caller), subject: refused.subject, service: SERVICE, purpose: 'submit the state report', outcome: e.code, details: { ...refused.details, ...(e.details.field ? { field: e.details.field } : {}) } })
          .catch((err: unknown) => deps.logger.error({ err, route: route.id }, 'audit row of a refused submission not written'));
      }
      throw e;
    }
  });

  app.get<{ Querystring: Query }>(FINDINGS_PATH, { config: { contract: C.findings } }, async (req, reply) => {
    admit(req, route);
    const caller = await readCaller(req, deps.callers);
    assertCaller(caller, ['ministry'], 'read the state report findings');
    const year = reportYear(req.query.year ?? '');
    const format = req.query.format || 'json';
    if (format !== 'json' && format !== 'csv' && format !== 'xlsx') throw httpError(400, 'HUB_ERR_REQUEST', `format "${format}" must be json, csv or xlsx`, 'format');
    // A report of the whole country: on the replica when there is one (the answer says where).
    const read = await deps.store.reads.run((db) => stateReportFindings(db, year));
    const f = read.value;
    await audited(caller, `state-reports:${year}`, 'read the state report findings', 'answered', { year, submitted: f.summary.submitted, findings: f.summary.findings });
    sendReadSource(reply, read, req.log);
    if (format === 'json') return f;
    const table = findingsTable(f);
    reply.header('content-type', CONTENT_TYPES[format]);
    reply.header('content-disposition', `attachment; filename="spolis-state-report-findings-${year}.${format}"`);
    return reply.send(format === 'csv' ? toCsv(table) : await toXlsx(table, FINDINGS_NOTES));
  });
}
