/**
 * The state reports' route contracts (engine/http/openapi.ts): the indicators come from the
 * store's INDICATORS, the list the submission is checked against.
 */
import { S, type JsonSchema, type RouteContract } from '../../engine/http/openapi.ts';
import { READ_SOURCE_HEADERS } from '../../engine/http/ministry-api.ts';
import { INDICATORS } from '../../store/state-reports.ts';
import { MAX_COMMENT } from './figures.ts';

const TAG = 'eservices-state-reports';
const CODES = INDICATORS.map((d) => d.code);
const VALUE = { type: ['number', 'string'], description: 'Counts and hours are numbers; euro are decimal strings with two places.' };
const YEAR = { year: { schema: S.str({ pattern: '^\\d{4}$' }), description: 'The report\'s year: a past or the current one.' } };

const SUBMISSION_VIEW = S.obj({
  version: S.int({ minimum: 1 }), submittedAt: S.instant(), submittedBy: S.str(), figures: S.map(VALUE), comments: S.map(S.str()),
});

const REPORT: JsonSchema = S.obj({
  year: S.int(), atvk: S.atvk(), name: S.str(), form: S.str(), status: S.oneOf(['draft', 'submitted']),
  deadline: S.date({ description: 'The last day a submission is taken (Latvian time).' }), open: S.bool(), computedAt: S.instant(),
  indicators: S.arr(S.obj({
    code: S.oneOf(CODES), section: S.oneOf(['status', 'benefits', 'services', 'assistant']), unit: S.oneOf(['households', 'persons', 'eur', 'hours']),
    label: S.str(), labelLv: S.str(), records: VALUE,
  }, { submitted: VALUE, comment: S.str() })),
  records: S.map(VALUE, { description: 'The records\' figures by code: the body of a PUT that submits them unchanged.' }),
  history: S.arr(SUBMISSION_VIEW),
}, { submission: SUBMISSION_VIEW }, { $id: 'eservices/state-report', title: 'StateReport' });

const FINDING = S.obj({
  code: S.str(), label: S.str(), unit: S.str(), records: VALUE, submitted: VALUE, difference: VALUE,
  relativeDifference: S.nullable(S.num()), severity: S.oneOf(['major', 'minor']),
}, { comment: S.str(), recordsWhenSubmitted: VALUE });

export const STATE_REPORT_CONTRACTS = {
  get: {
    operationId: 'getStateReport', tag: TAG, auth: ['partner'],
    summary: 'A municipality\'s annual report, pre-filled from its records, with what it submitted',
    description: 'A municipality reads its own; the Ministry any (municipality required).',
    params: YEAR,
    query: { municipality: { schema: S.atvk() } },
    responses: { 200: { description: 'The report.', schema: REPORT } },
    errors: [400, 401, 403, 429, 503],
  },
  submit: {
    operationId: 'submitStateReport', tag: TAG, auth: ['partner'],
    summary: 'A municipality submits (or resubmits, until the deadline) its report',
    params: YEAR,
    body: {
      schema: S.obj({
        figures: { type: 'object', required: CODES, properties: Object.fromEntries(CODES.map((c) => [c, VALUE])), additionalProperties: false },
      }, {
        comments: { type: 'object', propertyNames: { enum: CODES }, additionalProperties: S.str({ minLength: 1, maxLength: MAX_COMMENT }) },
        municipality: S.atvk({ description: 'Optional: the caller\'s own.' }),
      }, { closed: true }),
    },
    responses: { 200: { description: 'The report as it now stands.', schema: REPORT } },
    errors: [400, 401, 403, 409, 413, 429, 503],
  },
  findings: {
    operationId: 'getStateReportFindings', tag: TAG, auth: ['partner'],
    summary: 'The Ministry\'s findings: where submitted figures differ from the records',
    query: { year: { schema: S.str({ pattern: '^\\d{4}$' }), required: true }, format: { schema: S.oneOf(['json', 'csv', 'xlsx'], { default: 'json' }) } },
    responses: {
      200: {
        description: 'Every municipality of the year, submitted or not, with its findings.',
        headers: READ_SOURCE_HEADERS,
        content: {
          'application/json': S.obj({
            year: S.int(), deadline: S.date(), computedAt: S.instant(), severityRule: S.str(),
            summary: S.obj({ municipalities: S.int(), submitted: S.int(), withFindings: S.int(), findings: S.int(), major: S.int() }),
            municipalities: S.arr(S.obj({ atvk: S.atvk(), name: S.str(), submitted: S.bool() }, { version: S.int(), submittedAt: S.instant(), submittedBy: S.str(), findings: S.arr(FINDING) })),
          }),
          'text/csv': S.str(),
        },
      },
    },
    errors: [400, 401, 403, 429, 503],
  },
} satisfies Record<string, RouteContract>;
