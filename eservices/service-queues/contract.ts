/**
 * The service queues' route contracts (engine/http/openapi.ts), from the constants the snapshot
 * reader checks with: the queue id, the statuses, the service types.
 */
import { S, type JsonSchema, type RouteContract } from '../../engine/http/openapi.ts';
import { SERVICE_TYPES } from '../../store/report-table.ts';
import { QUEUE_ID } from './snapshot.ts';

const TAG = 'eservices-service-queues';
const STATUS = S.oneOf(['WAITING', 'GRANTED', 'REMOVED']);
const QUEUE_ID_PARAM = { queueId: { schema: S.str({ pattern: QUEUE_ID.source }), description: 'The reporter\'s own id of the queue.' } };

const SNAPSHOT = S.obj({
  asOf: S.instant({ description: 'When the snapshot was taken, with offset; never older than the one the hub holds.' }),
  serviceType: S.oneOf(SERVICE_TYPES, { description: 'VSAC reports LONG_TERM_CARE and REHABILITATION only.' }),
  name: S.str({ minLength: 1, maxLength: 200 }),
  entries: S.arr(S.obj({
    personCode: S.personCode(), joinedOn: S.date(),
  }, {
    position: S.int({ minimum: 1, description: 'WAITING only: 1…n over the persons waiting, each once.' }),
    expectedStart: S.nullable(S.date()), status: { ...STATUS, default: 'WAITING' },
  }, { closed: true }), { description: 'The whole queue; empty for an empty queue.' }),
}, { providerRegNo: S.nullable(S.regNo()), municipality: S.nullable(S.atvk({ description: 'A municipality\'s own (it may leave it out); for VSAC the place.' })) }, { closed: true });

const HEAD: JsonSchema = S.obj({
  queueId: S.str(), serviceType: S.str(), name: S.str(), asOf: S.instant(), version: S.int({ minimum: 1 }),
  waiting: S.int({ minimum: 0 }), granted: S.int({ minimum: 0 }), removed: S.int({ minimum: 0 }),
}, { providerRegNo: S.regNo(), municipality: S.atvk() }, { $id: 'eservices/queue-head', title: 'QueueHead' });

export const SERVICE_QUEUE_CONTRACTS = {
  report: {
    operationId: 'reportServiceQueue', tag: TAG, auth: ['partner'],
    summary: 'A municipality or VSAC reports one of its queues as a full snapshot',
    description: 'The hub keeps the newest snapshot and plans an e-address notice for each person whose change is news.',
    params: QUEUE_ID_PARAM, body: { schema: SNAPSHOT },
    responses: Object.fromEntries([[201, 'The first snapshot of this queue.'], [200, 'A changed or unchanged queue.']].map(([status, description]) => [status, {
      description: description as string,
      schema: S.obj({
        queueId: S.str(), status: S.oneOf(['created', 'changed', 'unchanged']), version: S.int({ minimum: 1 }), asOf: S.instant(),
        waiting: S.int(), granted: S.int(), removed: S.int(), changedEntries: S.int({ minimum: 0 }), notices: S.int({ minimum: 0 }),
      }),
    }])),
    errors: [400, 401, 403, 409, 413, 429],
  },
  get: {
    operationId: 'getServiceQueue', tag: TAG, auth: ['partner'],
    summary: 'The reporter\'s own queue, with its persons',
    params: QUEUE_ID_PARAM,
    responses: {
      200: {
        description: 'The queue.',
        schema: { allOf: [HEAD, S.obj({ entries: S.arr(S.obj({ personCode: S.str(), status: STATUS, joinedOn: S.date(), changedAt: S.instant() }, { position: S.int({ minimum: 1 }), expectedStart: S.date() })) })] },
      },
    },
    errors: [400, 401, 403, 404, 429],
  },
  list: {
    operationId: 'listServiceQueues', tag: TAG, auth: ['partner'],
    summary: 'A reporter\'s queues (no persons); with ?summary the Ministry\'s counts',
    query: { summary: { schema: S.str(), description: 'Present (any value): the Ministry\'s counts per service type and municipality.' } },
    responses: {
      200: {
        description: '`queues` for a reporter, `summary` for the Ministry.',
        schema: {
          oneOf: [
            S.obj({ queues: S.arr(HEAD) }),
            S.obj({
              summary: S.arr(S.obj({
                serviceType: S.str(), municipality: S.nullable(S.atvk()), reporterKind: S.oneOf(['municipality', 'institution']), queues: S.int(),
                waiting: S.int(), granted: S.int(), removed: S.int(), oldestJoinedOn: S.nullable(S.date()), latestAsOf: S.instant(),
              }, { municipalityName: S.str() })),
            }),
          ],
        },
      },
    },
    errors: [401, 403, 429],
  },
  positions: {
    operationId: 'getMyQueuePositions', tag: TAG, auth: ['portal'],
    summary: 'The person\'s positions in every queue',
    responses: {
      200: {
        description: 'The positions.',
        schema: S.obj({
          positions: S.arr(S.obj({
            reporter: S.obj({ kind: S.oneOf(['municipality', 'institution']), id: S.str(), name: S.str() }),
            queueId: S.str(), queueName: S.str(), serviceType: S.str(), status: STATUS, queueLength: S.int({ minimum: 0 }), joinedOn: S.date(),
            lastChange: S.obj({ at: S.instant() }, { previousPosition: S.int() }), asOf: S.instant(),
          }, { municipality: S.atvk(), providerRegNo: S.regNo(), position: S.int({ minimum: 1 }), expectedStart: S.date() })),
        }),
      },
    },
    errors: [401, 403, 429],
  },
} satisfies Record<string, RouteContract>;
