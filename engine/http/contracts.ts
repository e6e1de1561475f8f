/**
 * The contracts (engine/http/openapi.ts) of this room's JSON routes: health, readiness, metrics,
 * bulk loads, queries, the Ministry's reports and co-participation. Each API module hands its
 * route the contract here; the schemas are built from the constants its checks use (the query's
 * purpose limit, the co-participation schema ajv validates with), so the two cannot part.
 */
import { readFileSync } from 'node:fs';
import { S, type JsonSchema, type RouteContract } from './openapi.ts';
import { MAX_PURPOSE } from './query-request.ts';

/**
 * The co-participation body: the one object ajv compiles (coparticipation-api.ts) and the
 * document publishes.
 */
export const COPARTICIPATION_SCHEMA: JsonSchema = JSON.parse(readFileSync(new URL('../../schemas/canonical/coparticipation.schema.json', import.meta.url), 'utf8'));

// ---------------------------------------------------------------- health

export const HEALTH_CONTRACT: RouteContract = {
  operationId: 'getHealth', tag: 'health', auth: ['none'],
  summary: 'Liveness: the process answers',
  responses: { 200: { description: 'Alive.', schema: S.obj({ status: S.oneOf(['ok']) }) } },
};

export const READY_CONTRACT: RouteContract = {
  operationId: 'getReady', tag: 'health', auth: ['none'],
  summary: 'Readiness: the store and Redis answer',
  responses: {
    200: { description: 'Ready to take requests.', schema: S.obj({ status: S.oneOf(['ready']), checks: S.map(S.str()) }) },
    503: {
      description: 'Not ready: the error says which dependency does not answer.',
      schema: S.obj({ status: S.oneOf(['not ready']), error: S.obj({ code: S.oneOf(['HUB_ERR_NOT_READY']), message: S.str() }) }),
    },
  },
};

export const METRICS_CONTRACT: RouteContract = {
  operationId: 'getMetrics', tag: 'health', auth: ['none'],
  summary: 'Prometheus metrics of this process',
  description: 'The text exposition format; docs/grafana/spolis-hub.json is a dashboard for them.',
  responses: { 200: { description: 'Metrics.', contentType: 'text/plain', schema: S.str() } },
};

// ---------------------------------------------------------------- loads

const LOAD_ID = { id: { schema: S.str({ format: 'uuid' }), description: 'The id POST /api/v1/loads answered.' } };

export const LOAD_STATUS_SCHEMA: JsonSchema = S.obj({
  id: S.str({ format: 'uuid' }),
  source: S.str({ description: 'The partner system that sends the load (sopa, lietis, gvs).' }),
  municipality: S.atvk(),
  period: S.month(),
  status: S.oneOf(['receiving', 'committed', 'processing', 'done', 'failed'], { description: 'receiving → committed (by the commit) → processing → done, or failed when a batch failed for good.' }),
  batches: S.nullable(S.int({ minimum: 1, description: 'The number of batches committed; null while receiving.' })),
  records: S.obj({ received: S.int({ minimum: 0 }), accepted: S.int({ minimum: 0 }), rejected: S.int({ minimum: 0 }) }),
  quality: S.nullable(S.obj({}, {}, { description: 'The data-quality report of a finished load: accuracy, completeness, admissibility, uniqueness, consistency and timeliness, by record kind.' })),
  createdAt: S.instant(),
  committedAt: S.nullable(S.instant()),
  finishedAt: S.nullable(S.instant()),
}, {
  failedBatches: S.arr(S.obj({ seq: S.int({ minimum: 1 }), error: S.str() }), { description: 'A failed load: the batches that failed when processed, and why.' }),
}, { $id: 'hub/load-status', title: 'LoadStatus' });

export const REJECTION_SCHEMA: JsonSchema = S.obj({
  batch: S.int({ minimum: 1, description: 'The batch (seq) the record came in.' }),
  index: S.int({ minimum: 0, description: 'The record\'s place in its batch, from 0.' }),
  kind: S.nullable(S.str({ description: 'household-status, benefit, service-decision or assistant-month; null when the record could not be read.' })),
  naturalKey: S.nullable(S.str({ description: 'municipality/source/decisionId[/YYYY-MM], when it could be read.' })),
  errors: S.arr(S.obj({
    field: S.str(), code: S.str({ description: 'REQUIRED, PERSON_CODE, MUNICIPALITY, DATE, PERIOD, AMOUNT, HOURS, CLASSIFIER, DUPLICATE, FORMAT, …' }), message: S.str(),
  }), { minItems: 1 }),
}, {}, { $id: 'hub/rejection', title: 'Rejection' });

const BATCH_RECEIVED = S.obj({ load: S.str({ format: 'uuid' }), seq: S.int({ minimum: 1 }), sha256: S.str({ pattern: '^[0-9a-f]{64}$' }), records: S.int({ minimum: 0 }) });

/** The load API's contracts; `sources` are the partner systems with a bulk-load route. */
export function loadContracts(sources: string[]) {
  return {
    create: {
      operationId: 'createLoad', tag: 'loads', auth: ['partner'],
      summary: 'Start a load: one municipality\'s month from one partner system',
      body: { schema: S.obj({ source: S.oneOf(sources), municipality: S.atvk(), period: S.month() }, {}, { closed: false }) },
      responses: { 201: { description: 'Created; PUT its batches next.', schema: S.obj({ id: S.str({ format: 'uuid' }) }) } },
      errors: [400, 401, 403, 413, 422, 429],
    },
    putBatch: {
      operationId: 'putBatch', tag: 'loads', auth: ['partner'],
      summary: 'Send batch seq of a load (idempotent)',
      description: 'The batch in the partner system\'s own format (docs/partners): SOPA and LIETIS XML, GVS NDJSON; at most 4 MB. 202 once it is stored durably; the same bytes again answer 200, other bytes under the same seq 409.',
      params: { ...LOAD_ID, seq: { schema: S.str({ pattern: '^[1-9]\\d{0,5}$' }), description: 'The batch number, from 1.' } },
      body: { contentType: ['application/xml', 'text/xml', 'application/x-ndjson'], schema: S.str({ maxLength: 4 * 1024 * 1024 }) },
      responses: {
        202: { description: 'Stored.', schema: BATCH_RECEIVED },
        200: { description: 'This batch was already stored with the same bytes.', schema: BATCH_RECEIVED },
      },
      errors: [400, 401, 403, 404, 408, 409, 413, 415, 422, 429],
    },
    commit: {
      operationId: 'commitLoad', tag: 'loads', auth: ['partner'],
      summary: 'Commit a load with the number of batches sent; processing starts',
      params: LOAD_ID,
      body: { schema: S.obj({ batches: S.int({ minimum: 1 }) }) },
      responses: { 202: { description: 'Committed (or already committed with that number).', schema: LOAD_STATUS_SCHEMA } },
      errors: [400, 401, 403, 404, 409, 422, 429],
    },
    status: {
      operationId: 'getLoad', tag: 'loads', auth: ['partner'],
      summary: 'A load\'s status, record counts and quality',
      params: LOAD_ID,
      responses: { 200: { description: 'The load.', schema: LOAD_STATUS_SCHEMA } },
      errors: [401, 403, 404, 429],
    },
    rejections: {
      operationId: 'listRejections', tag: 'loads', auth: ['partner'],
      summary: 'The records a load rejected, with each field at fault',
      params: LOAD_ID,
      query: {
        offset: { schema: S.int({ minimum: 0, default: 0 }) },
        limit: { schema: S.int({ minimum: 1, maximum: 1000, default: 100 }) },
      },
      responses: {
        200: {
          description: 'A page of rejections, in batch and record order.',
          schema: S.obj({ load: S.str({ format: 'uuid' }), total: S.int({ minimum: 0 }), offset: S.int({ minimum: 0 }), limit: S.int({ minimum: 1 }), items: S.arr(REJECTION_SCHEMA) }),
        },
      },
      errors: [401, 403, 404, 429],
    },
    receipt: {
      operationId: 'getLoadReceipt', tag: 'loads', auth: ['partner'],
      summary: 'The signed XML receipt of a finished load',
      description: 'XML-DSig signed with the hub\'s certificate (GET /api/v1/certificate): what was received, accepted and rejected, batch by batch.',
      params: LOAD_ID,
      responses: { 200: { description: 'The receipt.', contentType: 'application/xml', schema: S.str() } },
      errors: [401, 403, 404, 409, 429],
    },
    certificate: {
      operationId: 'getCertificate', tag: 'loads', auth: ['none'],
      summary: 'The hub\'s signing certificate (PEM), to verify receipts',
      responses: { 200: { description: 'The certificate.', contentType: 'application/x-pem-file', schema: S.str() } },
    },
  } satisfies Record<string, RouteContract>;
}

// ---------------------------------------------------------------- queries

/** The query contract; `services` are the query services this hub's routes configure. */
export function queryContract(services: string[]): RouteContract {
  return {
    operationId: 'queryPerson', tag: 'queries', auth: ['partner'],
    summary: 'Ask a state agency about one person',
    description: 'Every outcome is an audit row (who, for whom, why) before the answer leaves; without it the answer is 503. The answer\'s fields past `service` and `requestId` are the agency\'s (docs/partners).',
    params: { service: { schema: S.oneOf(services.length ? services : ['(none configured)']), description: 'The query service: one per query route.' } },
    body: {
      schema: S.obj({ personCode: S.personCode(), purpose: S.str({ minLength: 1, maxLength: MAX_PURPOSE, description: 'Why the person is looked up (e.g. the case number); the audit log and the agency keep it.' }) }, {
        periodFrom: S.month(), periodTo: S.month(),
      }, { closed: true }),
    },
    responses: {
      200: {
        description: 'The agency\'s answer.',
        schema: S.obj({ service: S.str(), requestId: S.str({ format: 'uuid', description: 'Quote it when asking about this answer; the audit row has it.' }) }),
      },
    },
    errors: [400, 401, 403, 404, 429, 502, 503, 504],
  };
}

// ---------------------------------------------------------------- Ministry

const REPORT_QUERY = {
  period: { schema: S.month(), required: true },
  municipality: { schema: S.atvk(), description: 'One municipality; all and the country when left out.' },
  format: { schema: S.oneOf(['json', 'csv', 'xlsx'], { default: 'json' }) },
};
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const STATUS_FIGURES = S.obj({ persons: S.int(), newPersons: S.int() });
const INDICATORS = S.obj({
  needy: STATUS_FIGURES, lowIncome: STATUS_FIGURES,
  benefits: S.map(S.obj({ recipients: S.int(), amountEur: S.eur() })),
  serviceDecisions: S.obj({ total: S.int(), byType: S.map(S.map(S.int())) }),
  assistant: S.obj({ clients: S.int(), grantedHours: S.num(), usedHours: S.num() }),
  recipients: S.obj({ granted: S.int(), byResidence: S.nullable(S.int()) }),
});
const SUBMISSION_FIGURES = S.obj({ total: S.int(), byKind: S.map(S.int()), byTopic: S.map(S.int()) });

/** The response headers of a report read through `Store.reads`, for the route contracts. */
export const READ_SOURCE_HEADERS: Record<string, { description: string; schema: JsonSchema }> = {
  'x-spolis-read-from': {
    description: 'Where the report was computed: `replica` (a streaming replica of the store, DATABASE_REPLICA_URL) or `primary` (the store itself: no replica configured, or it was down or too far behind).',
    schema: { type: 'string', enum: ['replica', 'primary'] },
  },
  'x-spolis-replica-lag': {
    description: 'With `replica`: how many seconds the replica\'s data were behind the primary when the report was computed (changes committed since then are not in it).',
    schema: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' },
  },
};

export const STATISTICS_CONTRACT: RouteContract = {
  operationId: 'getStatistics', tag: 'ministry', auth: ['partner'],
  summary: 'A month\'s statistics (the Ministry\'s partners only)',
  query: REPORT_QUERY,
  responses: {
    200: {
      description: 'The statistics, computed now from the current decisions.',
      headers: READ_SOURCE_HEADERS,
      content: {
        'application/json': S.obj({
          period: S.month(), from: S.date(), to: S.date(), computedAt: S.instant(),
          municipalities: S.arr({ allOf: [S.obj({ atvk: S.atvk(), name: S.str() }), INDICATORS] }),
          submissions: { allOf: [SUBMISSION_FIGURES, S.obj({ byInstitution: S.map({ allOf: [SUBMISSION_FIGURES, S.obj({ name: S.str() })] }) })] },
        }, { country: INDICATORS }),
        'text/csv': S.str(), [XLSX]: S.str({ contentEncoding: 'binary' }),
      },
    },
  },
  errors: [400, 401, 403, 429],
};

export const CHECKS_CONTRACT: RouteContract = {
  operationId: 'getChecks', tag: 'ministry', auth: ['partner'],
  summary: 'A month\'s cross-checks of the decisions (the Ministry\'s partners only)',
  query: REPORT_QUERY,
  responses: {
    200: {
      description: 'Each rule, whether it ran, and its findings (personal codes masked).',
      headers: READ_SOURCE_HEADERS,
      content: {
        'application/json': S.obj({
          period: S.month(), from: S.date(), to: S.date(), computedAt: S.instant(),
          rules: S.arr(S.obj({ rule: S.int({ minimum: 1 }), title: S.str(), status: S.str(), findings: S.int(), parts: S.arr(S.obj({ part: S.str(), status: S.str(), findings: S.int() })) })),
          findings: S.arr(S.obj({ rule: S.int({ minimum: 1 }), reason: S.str(), records: S.arr(S.obj({ kind: S.str(), key: S.str(), municipality: S.atvk() })) })),
        }, { municipality: S.atvk() }),
        'text/csv': S.str(), [XLSX]: S.str({ contentEncoding: 'binary' }),
      },
    },
  },
  errors: [400, 401, 403, 429],
};

// ---------------------------------------------------------------- co-participation

const COPARTICIPATION_ID = { id: { schema: S.str({ minLength: 1, maxLength: 100 }), description: 'The municipality\'s own id of the agreement.' } };

export const COPARTICIPATION_CONTRACTS = {
  submit: {
    operationId: 'submitCoParticipation', tag: 'coparticipation', auth: ['partner'],
    summary: 'A client\'s co-participation duties, queued for NVA (BURVIS)',
    description: '202 once the delivery is committed; the same id with the same content is the same delivery.',
    body: { schema: COPARTICIPATION_SCHEMA },
    responses: { 202: { description: 'Queued.', schema: S.obj({ id: S.str(), deliveryId: S.str(), status: S.oneOf(['queued']) }) } },
    errors: [400, 401, 403, 413, 429],
  },
  status: {
    operationId: 'getCoParticipation', tag: 'coparticipation', auth: ['partner'],
    summary: 'How the newest delivery of a co-participation went',
    params: COPARTICIPATION_ID,
    responses: {
      200: {
        description: 'The delivery.',
        schema: S.obj({
          id: S.str(), deliveryId: S.str(), status: S.oneOf(['pending', 'delivered', 'dead', 'undeliverable']), attempts: S.int({ minimum: 0 }), createdAt: S.instant(),
        }, { ref: S.str({ description: 'NVA\'s reference, once delivered.' }), error: S.str(), deliveredAt: S.instant() }),
      },
    },
    errors: [401, 403, 404, 429],
  },
} satisfies Record<string, RouteContract>;
