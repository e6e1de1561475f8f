/**
 * PMLP's PersonRegister as components (docs/partners/pmlp.md): a `call:` for the query API (one
 * person, asked by a municipality: alive or deceased, declared residence) and a `pull` reading the
 * change feed of deaths and declared residences for the Ministry's cross-checks. Endpoint and
 * certificate come from the pmlp partner of partners.yaml (the engine resolves them into `ctx.target`).
 */
import {
  defineCall, definePull, type Call, type CallContext, type CallSpec, type Pull, type PullSpec, type RegisterChange, socketsConfig, socketsOf,
} from '../../engine/index.ts';
import { createPmlpClient, type PmlpClient } from './outbound.ts';
import { MAX_PAGE_SIZE } from './messages.ts';

const CONFIG = socketsConfig('PMLP');

/** RequesterId and Purpose of the scheduled pull: the Ministry reads for its own cross-checks. */
export const PULL_REQUESTER = 'LM';
export const PULL_PURPOSE = 'SPOLIS: scheduled synchronisation of deaths and declared residences for the Ministry\'s cross-checks';

/** The component's client; each call brings its own deadline. */
const clientOf = (options: Record<string, unknown>, ctx: CallContext): PmlpClient => createPmlpClient({
  baseUrl: ctx.target.endpoint, identity: ctx.identity, pmlpCertPem: ctx.target.certPem,
  maxSockets: socketsOf(options),
});

export const pmlpGetPerson: CallSpec = defineCall({
  name: 'pmlp/get-person', status: 'beta', partner: 'pmlp', config: CONFIG,
  summary: 'One person in the population register: alive or deceased (with the date of death), current and former personal code, declared residence.',
  create(options, ctx): Call {
    const client = clientOf(options, ctx);
    return {
      // The register answers as of today: periodFrom and periodTo, if sent, do not apply.
      async call(req, { timeoutMs }) {
        return { ...await client.personOf(req.personCode, { requesterId: req.requesterId, purpose: req.purpose, requestId: req.requestId, timeoutMs }) };
      },
      async close() { client.close(); },
    };
  },
});

export const pmlpPersonChanges: PullSpec<'pmlp.change'> = definePull({
  name: 'pmlp/person-changes', status: 'beta', partner: 'pmlp', config: CONFIG,
  produces: 'pmlp.change', changedAtField: 'recordedAt',
  summary: 'The deaths and declared residences PMLP recorded since the last run, page by page in RecordedAt order.',
  create(options, ctx): Pull<RegisterChange> {
    const client = clientOf(options, ctx);
    return {
      async page(req, { timeoutMs }) {
        const page = await client.changedSince({
          since: req.since, cursor: req.cursor, requestId: req.requestId, requesterId: PULL_REQUESTER, purpose: PULL_PURPOSE, timeoutMs,
          // The route's page size is a wish; PMLP's maximum is the contract.
          pageSize: Math.min(req.pageSize, MAX_PAGE_SIZE),
        });
        return { items: page.changes, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
      },
      async close() { client.close(); },
    };
  },
});
