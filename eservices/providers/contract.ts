/**
 * The providers register's route contracts (engine/http/openapi.ts), built from the constants
 * input.ts checks with: service types, statuses, page sizes, field lengths.
 */
import { S, type JsonSchema, type RouteContract } from '../../engine/http/openapi.ts';
import { DEFAULT_PAGE, MAX_PAGE, SERVICE_TYPES, STATUSES } from './input.ts';

const TAG = 'eservices-providers';

const SERVICE_TYPE = S.oneOf(SERVICE_TYPES, { description: 'A service type of the classifier (the canonical service decision\'s serviceType).' });
const ADDRESS = S.obj({ address: S.str({ minLength: 1, maxLength: 300 }), atvk: S.atvk() }, {}, { closed: true });
const CONTACT = S.obj({}, { email: S.str({ maxLength: 254 }), phone: S.str({ pattern: '^\\+?\\d[\\d ]{6,19}$' }) }, { closed: true, minProperties: 1 });

const APPLICATION_INPUT = S.obj({
  regNo: S.regNo({ description: 'The provider\'s registration code: the one the portal asserts the representative acts for (org).' }),
  name: S.str({ minLength: 1, maxLength: 250 }),
  services: S.arr(S.obj({ serviceType: SERVICE_TYPE, addresses: S.arr(ADDRESS, { minItems: 1, maxItems: 100 }) }, {}, { closed: true }), { minItems: 1 }),
  contact: CONTACT,
  requestedStart: S.date({ description: 'Today or later.' }),
}, {}, { closed: true });

const APPLICATION: JsonSchema = S.obj({
  id: S.str({ pattern: '^\\d{1,18}$' }), regNo: S.regNo(), name: S.str(),
  services: S.arr(S.obj({ serviceType: S.str(), addresses: S.arr(S.obj({ address: S.str(), atvk: S.atvk() })) })),
  contact: S.obj({}, { email: S.str(), phone: S.str() }), requestedStart: S.date(),
  kind: S.oneOf(['registration', 'amendment']), status: S.oneOf(STATUSES), version: S.int({ minimum: 1 }),
  appliedAt: S.instant(), updatedAt: S.instant(),
}, {
  decision: S.obj({ decidedAt: S.instant() }, { validFrom: S.date(), validTo: S.date(), reason: S.str() }),
  withdrawnOn: S.date(),
  representative: S.personCode({ description: 'The representative who applied: the Ministry only.' }),
}, { $id: 'eservices/provider-application', title: 'ProviderApplication' });

const PAGE = {
  limit: { schema: S.int({ minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE }) },
  offset: { schema: S.int({ minimum: 0, default: 0 }) },
};
const REG_NO = { regNo: { schema: S.regNo() } };
const APPLICATION_ID = { id: { schema: S.str({ pattern: '^\\d{1,18}$' }), description: 'The application id the register gave.' } };
const CHANGED = { 201: { description: 'A new application (or amendment) is pending.', schema: APPLICATION }, 200: { description: 'A pending application was replaced, or the same one sent again.', schema: APPLICATION } };

export const PROVIDER_CONTRACTS = {
  apply: {
    operationId: 'applyProvider', tag: TAG, auth: ['portal'],
    summary: 'A provider\'s representative applies to the register (portal, act: provider)',
    body: { schema: APPLICATION_INPUT }, responses: CHANGED, errors: [400, 401, 403, 409, 413, 429],
  },
  amend: {
    operationId: 'amendProvider', tag: TAG, auth: ['portal'],
    summary: 'Replace a pending application, or apply to amend an approved registration',
    params: REG_NO, body: { schema: APPLICATION_INPUT }, responses: CHANGED, errors: [400, 401, 403, 409, 413, 429],
  },
  withdraw: {
    operationId: 'withdrawProvider', tag: TAG, auth: ['portal'],
    summary: 'Withdraw the registration: every term ends on the date',
    params: REG_NO,
    body: { schema: S.obj({}, { date: S.date({ description: 'Today (the default) or later.' }) }, { closed: true }) },
    responses: {
      200: {
        description: 'Withdrawn.',
        schema: S.obj({ regNo: S.regNo(), status: S.oneOf(['withdrawn']), withdrawnOn: S.date(), applications: S.arr(S.str()), termsEnded: S.int({ minimum: 0 }) }),
      },
    },
    errors: [400, 401, 403, 409, 429],
  },
  list: {
    operationId: 'listProviderApplications', tag: TAG, auth: ['portal', 'partner'],
    summary: 'Applications: a provider its own (portal), the Ministry all',
    query: { status: { schema: S.oneOf(STATUSES) }, regNo: { schema: S.regNo() }, ...PAGE },
    responses: { 200: { description: 'A page of applications, newest first.', schema: S.obj({ total: S.int({ minimum: 0 }), limit: S.int(), offset: S.int(), items: S.arr(APPLICATION) }) } },
    errors: [400, 401, 403, 429],
  },
  get: {
    operationId: 'getProviderApplication', tag: TAG, auth: ['portal', 'partner'],
    summary: 'One application: a provider its own (portal), the Ministry any',
    params: APPLICATION_ID,
    responses: { 200: { description: 'The application.', schema: APPLICATION } },
    errors: [401, 403, 404, 429],
  },
  decide: {
    operationId: 'decideProviderApplication', tag: TAG, auth: ['partner'],
    summary: 'The Ministry approves (with a term) or refuses (with a reason)',
    description: 'The decision goes to the provider\'s e-address through the route\'s deliver step.',
    params: APPLICATION_ID,
    body: {
      schema: {
        oneOf: [
          S.obj({ decision: S.oneOf(['approve']), validFrom: S.date() }, { validTo: S.date() }, { closed: true }),
          S.obj({ decision: S.oneOf(['refuse']), reason: S.str({ minLength: 1, maxLength: 2000 }) }, {}, { closed: true }),
        ],
      },
    },
    responses: { 200: { description: 'The decided application.', schema: APPLICATION } },
    errors: [400, 401, 403, 404, 409, 429],
  },
  lookup: {
    operationId: 'lookupProviders', tag: TAG, auth: ['none'],
    summary: 'The public register: providers registered on a day, by service and municipality',
    query: { service: { schema: SERVICE_TYPE }, municipality: { schema: S.atvk() }, date: { schema: S.date(), description: 'Default today (Riga).' }, ...PAGE },
    responses: {
      200: {
        description: 'A page of providers.',
        schema: S.obj({
          date: S.date(), total: S.int({ minimum: 0 }), limit: S.int(), offset: S.int(),
          items: S.arr(S.obj({
            regNo: S.regNo(), name: S.str(), contact: S.obj({}, { email: S.str(), phone: S.str() }),
            services: S.arr(S.obj({ serviceType: S.str(), addresses: S.arr(S.obj({ address: S.str(), atvk: S.atvk(), validFrom: S.date() }, { validTo: S.date() })) })),
          })),
        }, { service: S.str(), municipality: S.atvk() }),
      },
    },
    errors: [400, 429],
  },
  entry: {
    operationId: 'getProvider', tag: TAG, auth: ['none'],
    summary: 'One provider\'s public entry with every term',
    params: { regNo: { schema: S.str() } },
    query: { date: { schema: S.date(), description: 'The day `registered` is answered for; default today (Riga).' } },
    responses: {
      200: {
        description: 'The entry.',
        schema: S.obj({
          regNo: S.str(), name: S.str(), contact: S.obj({}, { email: S.str(), phone: S.str() }), registered: S.bool(), date: S.date(),
          terms: S.arr(S.obj({ serviceType: S.str(), address: S.str(), atvk: S.atvk(), validFrom: S.date(), applicationId: S.str() }, { validTo: S.date(), endedBy: S.oneOf(['amendment', 'withdrawal']) })),
        }),
      },
    },
    errors: [400, 404, 429],
  },
} satisfies Record<string, RouteContract>;
