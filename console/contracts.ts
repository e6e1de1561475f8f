/**
 * The console API's published contracts (GET /openapi.json): the shapes views.ts answers. Loose
 * where the content is the store's own (a load's quality report, a route's step list), exact where
 * an operator's script would rely on it.
 */
import { S, type JsonSchema, type RouteContract } from '../engine/http/openapi.ts';

const when = S.nullable(S.instant());
const ERRORS = [401, 403];

const LOAD_STATUS = ['receiving', 'committed', 'processing', 'done', 'failed'] as const;

const LOAD = S.obj({
  id: S.str(), source: S.str(), municipality: S.atvk(), period: S.month(), partnerId: S.str(), routeId: S.str(), status: S.oneOf(LOAD_STATUS),
  createdAt: S.instant(), committedAt: when, finishedAt: when, expectedBatches: S.nullable(S.int()),
  records: S.obj({ received: S.int(), accepted: S.int(), rejected: S.int() }),
  quality: { description: 'The data-quality report (as GET /api/v1/loads/{id} has it); null in lists and until the load finishes.' },
  batches: S.obj({ total: S.int(), done: S.int(), dead: S.int(), pending: S.int() }, {}, { description: 'Where the load\'s batches stand.' }),
});

const LETTER = S.obj({
  id: S.int(), route: S.str(), kind: S.oneOf(['batch', 'delivery']), error: S.str(), attempts: S.int(), firstFailedAt: when, failedAt: S.instant(), replayedAt: when,
}, { loadId: S.str(), seq: S.int(), deliveryId: S.str() }, { description: 'A dead letter: a batch (loadId, seq) or a delivery (deliveryId) whose last attempt failed.' });

const GATE = S.nullable(S.obj({
  circuit: S.oneOf(['closed', 'open', 'half-open']), failures: S.int(), retryInMs: S.int(), trial: S.bool(), queuedMs: S.int(),
}));

const CERT = S.nullable({
  oneOf: [S.obj({ subject: S.str(), validTo: S.instant(), daysLeft: S.int() }), S.obj({ error: S.str() })],
});

const AUDIT = S.obj({ state: S.oneOf(['never', 'verified', 'broken', 'error']), running: S.bool(), rowsNow: S.int() }, {
  verdict: S.obj({ ok: S.bool(), rows: S.int() }, { head: S.str(), seq: S.int(), problem: S.str() }),
  verifiedAt: S.instant(), tookMs: S.int(), error: S.str(),
}, { description: 'The audit chain\'s verification: the verdict of this process\'s last walk of the whole chain, and its time.' });

const ACTIVITY = {
  lastRun: when, lastHour: S.int(), unit: S.str({ description: 'What lastHour counts: records, queries, pushes, deliveries, requests.' }),
  errorsLastHour: S.nullable(S.int()),
};

const OVERVIEW = S.obj({
  at: S.instant(),
  process: S.obj({ pid: S.int(), startedAt: S.instant(), httpRequests: S.num(), http5xx: S.num(), batches: S.num(), records: S.obj({ accepted: S.num(), rejected: S.num() }) },
    {}, { description: 'This hub process\'s own counters since it started.' }),
  audit: AUDIT,
  loads: S.obj({ counts: S.map(S.int()), recent: S.arr(LOAD) }),
  routes: S.arr(S.obj({
    id: S.str(), description: S.str(), file: S.str(), kind: S.oneOf(['bulkLoad', 'query', 'soap', 'schedule', 'http']), trigger: S.str(), enabled: S.bool(),
    access: S.arr(S.str()), steps: S.arr(S.str()), retry: S.obj({ attempts: S.int(), backoff: S.str(), delayMs: S.int(), maxDelayMs: S.int() }), deadLetter: S.bool(),
    openDeadLetters: S.int(), ...ACTIVITY,
  }, { nextRun: when, deadBatchesLastDay: S.int(), failingDeliveries: S.int(), lastOutcome: S.nullable(S.str()) })),
  queues: S.arr(S.obj({ route: S.str(), kind: S.oneOf(['batches', 'deliveries']), waiting: S.int(), active: S.int(), delayed: S.int(), deadLetters: S.int() })),
  deliveries: S.arr(S.obj({ route: S.str(), pending: S.int(), delivered: S.int(), dead: S.int(), undeliverable: S.int(), lastRun: when, deliveredLastHour: S.int(), failingNow: S.int() })),
  pulls: S.arr(S.obj({
    route: S.str(), pull: S.str(), partner: S.nullable(S.str()), cron: S.str(), pageSize: S.int(),
    checkpoint: S.nullable(S.obj({ since: S.instant(), cursor: S.nullable(S.str()), pages: S.int(), items: S.int() })), lastPageAt: when, nextRun: when,
  })),
  partners: S.arr(S.obj({
    id: S.str(), system: S.str(), municipality: S.nullable(S.str()), endpoint: S.nullable(S.str()),
    rateLimit: S.nullable(S.obj({ perSecond: S.num(), maxWaitMs: S.int() })), circuitBreaker: S.obj({ failures: S.int(), openMs: S.int() }), timeoutMs: S.int(),
    gate: GATE, lastCall: when, lastCallOutcome: S.nullable(S.str()), callsLastHour: S.int(), failedLastHour: S.int(), lastSeen: when, certificate: CERT,
  })),
  hubCertificate: CERT,
  deadLetters: S.obj({ open: S.int(), recent: S.arr(LETTER) }),
  auditWindow: S.int({ description: 'How many of the newest audit rows the last-call figures were read from.' }),
}, { redisError: S.str({ description: 'Redis did not answer: queue counts and circuit states are missing, the rest is from the store.' }) });

const BATCH = S.obj({
  seq: S.int(), status: S.oneOf(['pending', 'done', 'dead']), records: S.int(), accepted: S.nullable(S.int()), rejected: S.nullable(S.int()),
  size: S.int(), sha256: S.str(), receivedAt: S.instant(), processedAt: when, error: S.nullable(S.str()),
});

const REJECTION = S.obj({
  batch: S.int(), index: S.int(), kind: S.nullable(S.str()), naturalKey: S.nullable(S.str()),
  errors: S.arr(S.obj({ field: S.str(), code: S.str(), message: S.str() })),
});

const LOAD_DETAIL = S.obj({
  load: LOAD, batches: S.arr(BATCH),
  rejectionsByCode: S.arr(S.obj({ code: S.str(), records: S.int(), fields: S.arr(S.obj({ field: S.str(), records: S.int() })) })),
  rejections: S.obj({ total: S.int(), items: S.arr(REJECTION) }, {}, { description: 'The first 50 rejected records.' }),
  deadLetters: S.arr(LETTER),
  receipt: S.obj({ ready: S.bool(), path: S.str({ description: 'Where the partner fetches the signed receipt with its own key.' }) }),
});

const idParam = (what: string) => ({ id: { schema: S.str(), description: what } });
const ok = (description: string, schema: JsonSchema) => ({ 200: { description, schema } });

export const OPS_WHOAMI: RouteContract = {
  operationId: 'opsWhoAmI', tag: 'ops', summary: 'The operator a key belongs to (the console\'s login check)', auth: ['operator'],
  responses: ok('The operator.', S.obj({ id: S.str(), role: S.oneOf(['operator']) })), errors: ERRORS,
};

export const OPS_OVERVIEW: RouteContract = {
  operationId: 'opsOverview', tag: 'ops', summary: 'Everything the console\'s front page shows',
  description: 'Loads, routes, queues and dead letters, deliveries, pulls, partners (circuit, rate limit, last call, certificate expiry), the audit chain\'s verification.',
  auth: ['operator'], responses: ok('The overview.', OVERVIEW), errors: ERRORS,
};

export const OPS_LOADS: RouteContract = {
  operationId: 'opsListLoads', tag: 'ops', summary: 'Loads, newest first', auth: ['operator'],
  query: {
    status: { schema: S.oneOf(LOAD_STATUS), description: 'Only loads in this status.' },
    problems: { schema: S.oneOf(['1', 'true']), description: 'Only loads that failed or hold a dead batch.' },
    limit: { schema: S.int({ minimum: 1, maximum: 500 }), description: 'At most this many (50).' },
  },
  responses: ok('The loads.', S.obj({ items: S.arr(LOAD) })), errors: [400, ...ERRORS],
};

export const OPS_LOAD: RouteContract = {
  operationId: 'opsGetLoad', tag: 'ops', summary: 'A load with its batches, rejections by code, dead letters and receipt state', auth: ['operator'],
  params: idParam('The load id.'), responses: ok('The load.', LOAD_DETAIL), errors: [...ERRORS, 404],
};

export const OPS_LOAD_REJECTIONS: RouteContract = {
  operationId: 'opsLoadRejections', tag: 'ops', summary: 'A load\'s rejected records, a page at a time', auth: ['operator'],
  params: idParam('The load id.'),
  query: { offset: { schema: S.int({ minimum: 0 }) }, limit: { schema: S.int({ minimum: 1, maximum: 1000 }) } },
  responses: ok('A page.', S.obj({ load: S.str(), total: S.int(), offset: S.int(), limit: S.int(), items: S.arr(REJECTION) })), errors: [...ERRORS, 404],
};

export const OPS_SERIES: RouteContract = {
  operationId: 'opsSeries', tag: 'ops', summary: 'Records processed and rejections per code, per minute', auth: ['operator'],
  description: 'By the minute each batch was written, from the store (every worker\'s batches). Minutes without activity are left out.',
  query: { minutes: { schema: S.int({ minimum: 1, maximum: 1440 }), description: 'How far back (1440: the last day).' } },
  responses: ok('The series.', S.obj({
    from: S.instant(), minutes: S.int(),
    records: S.arr(S.obj({ m: S.int({ description: 'Minutes after `from`.' }), accepted: S.int(), rejected: S.int(), deadBatches: S.int() })),
    rejections: S.map(S.arr(S.arr(S.int(), { minItems: 2, maxItems: 2 })), { description: 'Per rule code: [minute, records] pairs.' }),
  })),
  errors: ERRORS,
};

export const OPS_DEAD_LETTERS: RouteContract = {
  operationId: 'opsDeadLetters', tag: 'ops', summary: 'Dead letters, newest first', auth: ['operator'],
  query: {
    all: { schema: S.oneOf(['1', 'true']), description: 'Replayed ones too.' },
    route: { schema: S.str(), description: 'Of this route only.' },
    limit: { schema: S.int({ minimum: 1, maximum: 500 }) },
  },
  responses: ok('The dead letters.', S.obj({ items: S.arr(LETTER) })), errors: ERRORS,
};

export const OPS_REPLAY: RouteContract = {
  operationId: 'opsReplayDeadLetter', tag: 'ops', summary: 'Replays one dead letter (as `spolis-hub dlq replay --id`)', auth: ['operator'],
  description: 'Reopens the batch or delivery in the store, writes an audit row with actor `operator:<id>`, and enqueues it again.',
  params: idParam('The dead letter id.'),
  responses: ok('Replayed.', S.obj({ replayed: LETTER })), errors: [...ERRORS, 404, 409],
};

export const OPS_REPLAY_ALL: RouteContract = {
  operationId: 'opsReplayDeadLetters', tag: 'ops', summary: 'Replays every open dead letter, or a route\'s (as `spolis-hub dlq replay [--route R]`)', auth: ['operator'],
  body: { schema: S.obj({}, { route: S.str() }), required: false },
  responses: ok('What was replayed.', S.obj({ count: S.int(), replayed: S.arr(LETTER) })), errors: [400, ...ERRORS],
};

export const OPS_AUDIT_VERIFY: RouteContract = {
  operationId: 'opsVerifyAudit', tag: 'ops', summary: 'Walks the audit chain now and answers the verdict', auth: ['operator'],
  responses: ok('The verification state.', AUDIT), errors: ERRORS,
};
