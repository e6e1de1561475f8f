/**
 * VDEĀVK's UniversalService as components (vdeavk.md): a `call:` for the query API's
 * `vdeavk-opinions` (one person's opinions, asked by a municipality) and a `pull` reading the
 * ChangedSince feed for the Ministry's cross-checks. Endpoint and certificate come from the vdeavk
 * partner of partners.yaml (the engine resolves them into `ctx.target`).
 */
import {
  defineCall, definePull, type AssistantOpinion, type Call, type CallContext, type CallSpec, type Pull, type PullSpec, socketsConfig, socketsOf,
} from '../../engine/index.ts';
import { createVdeavkClient, type VdeavkClient } from './outbound.ts';
import { MAX_PAGE_SIZE } from './messages.ts';

const CONFIG = socketsConfig('VDEĀVK');

/** RequesterId and Purpose of the scheduled pull: the Ministry reads for its own cross-checks. */
export const PULL_REQUESTER = 'LM';
export const PULL_PURPOSE = 'SPOLIS: scheduled synchronisation of assistant-service opinions for the Ministry\'s cross-checks';

/** The component's client; each call brings its own deadline. */
const clientOf = (options: Record<string, unknown>, ctx: CallContext): VdeavkClient => createVdeavkClient({
  baseUrl: ctx.target.endpoint, identity: ctx.identity, vdeavkCertPem: ctx.target.certPem,
  maxSockets: socketsOf(options),
});

export const vdeavkGetOpinions: CallSpec = defineCall({
  name: 'vdeavk/get-opinions', status: 'beta', partner: 'vdeavk', config: CONFIG,
  summary: 'One person\'s VDEĀVK opinions on the need for the assistant service, revoked ones included.',
  create(options, ctx): Call {
    const client = clientOf(options, ctx);
    return {
      // Opinions are not asked by period: periodFrom and periodTo, if sent, do not apply.
      async call(req, { timeoutMs }) {
        const answer = await client.opinionsOf(req.personCode, { requesterId: req.requesterId, purpose: req.purpose, requestId: req.requestId, timeoutMs });
        return { personCode: answer.personCode, opinions: answer.opinions };
      },
      async close() { client.close(); },
    };
  },
});

export const vdeavkOpinionsChanged: PullSpec<'vdeavk.opinion'> = definePull({
  name: 'vdeavk/opinions-changed', status: 'beta', partner: 'vdeavk', config: CONFIG,
  produces: 'vdeavk.opinion', changedAtField: 'changedAt',
  summary: 'The VDEĀVK opinions created, changed or revoked since the last run, page by page in ChangedAt order.',
  create(options, ctx): Pull<AssistantOpinion> {
    const client = clientOf(options, ctx);
    return {
      async page(req, { timeoutMs }) {
        const page = await client.changedSince({
          since: req.since, cursor: req.cursor, requestId: req.requestId, requesterId: PULL_REQUESTER, purpose: PULL_PURPOSE, timeoutMs,
          // The route's page size is a wish; VDEĀVK's maximum is the contract.
          pageSize: Math.min(req.pageSize, MAX_PAGE_SIZE),
        });
        return { items: page.opinions, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
      },
      async close() { client.close(); },
    };
  },
});
