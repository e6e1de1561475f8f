/**
 * BURVIS's three operations as route components (burvis.md): GetProfile as the `call:` behind the
 * query API's burvis-profile, GetProfilingChanges as a scheduled `pull`, and SubmitCoParticipation
 * as the `deliver:` step that takes a municipality's co-participation to NVA from the delivery
 * outbox. Endpoint and certificate come from the burvis partner of partners.yaml.
 */
import { createHash } from 'node:crypto';
import {
  ConnectorError, ValidationError, defineCall, defineDelivery, definePull,
  type BurvisProfile, type Call, type CallSpec, type CoParticipation, type Delivery, type DeliverySpec, type Pull, type PullSpec,
  type SigningIdentity, socketsConfig, socketsOf,
} from '../../engine/index.ts';
import { createBurvisClient, type BurvisClient } from './outbound.ts';
import { MAX_PAGE_SIZE, MINISTRY_REQUESTER } from './messages.ts';

const CONFIG = socketsConfig('NVA');

interface Target { endpoint: string; certPem: string }

/**
 * Clients by target: a client takes its endpoint and certificate when made, and a delivery gets
 * its target per item (few distinct ones are ever in use). Deadlines go with each call.
 */
function clientPool(identity: SigningIdentity, options: Record<string, unknown>) {
  const clients = new Map<string, BurvisClient>();
  return {
    get(target: Target): BurvisClient {
      const key = `${target.endpoint}\n${createHash('sha256').update(target.certPem).digest('hex')}`;
      let c = clients.get(key);
      if (!c) {
        c = createBurvisClient({
          baseUrl: target.endpoint, identity, burvisCertPem: target.certPem,
          maxSockets: socketsOf(options),
        });
        clients.set(key, c);
      }
      return c;
    },
    close(): void {
      for (const c of clients.values()) c.close();
      clients.clear();
    },
  };
}

export const burvisGetProfile: CallSpec = defineCall({
  name: 'burvis/get-profile', status: 'beta', partner: 'burvis', config: CONFIG,
  summary: 'GetProfile: how NVA profiled one unemployed client or job seeker (status, registration, profiling group), as {personCode, profile}.',
  create(options, ctx): Call {
    const pool = clientPool(ctx.identity, options);
    return {
      async call(req, { timeoutMs }) {
        // NVA answers the current profile: a period would be silently ignored, so it is refused.
        for (const field of ['periodFrom', 'periodTo'] as const) {
          if (req[field] !== undefined) throw new ValidationError('HUB_ERR_QUERY_INVALID', `${field}: burvis-profile answers the person's current profile and takes no period`, 400, { field });
        }
        const answer = await pool.get(ctx.target).profileOf(req.personCode, { requesterId: req.requesterId, purpose: req.purpose, requestId: req.requestId, timeoutMs });
        return { ...answer };
      },
      async close() { pool.close(); },
    };
  },
});

export const burvisProfilingChanges: PullSpec<'burvis.profile'> = definePull({
  name: 'burvis/profiling-changes', status: 'beta', partner: 'burvis', produces: 'burvis.profile', changedAtField: 'updatedAt', config: CONFIG,
  summary: 'GetProfilingChanges: the profiles NVA changed since the last checkpoint, page by page, in UpdatedAt order; asked as LM.',
  create(options, ctx): Pull<BurvisProfile> {
    const pool = clientPool(ctx.identity, options);
    return {
      async page(req, { timeoutMs }) {
        const page = await pool.get(ctx.target).profilingChanges({
          since: req.since, ...(req.cursor === undefined ? {} : { cursor: req.cursor }),
          // NVA's own maximum; a larger page asked for is simply more pages.
          pageSize: Math.min(req.pageSize, MAX_PAGE_SIZE),
          requesterId: MINISTRY_REQUESTER, requestId: req.requestId, timeoutMs,
        });
        return { items: page.profiles, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
      },
      async close() { pool.close(); },
    };
  },
});

/** Refs NVA gave per co-participation key, remembered so that a repeat can be told apart; bounded. */
class RefMemory {
  private readonly refs = new Map<string, Set<string>>();
  constructor(private readonly max = 50_000) {}
  /** Whether `ref` was already answered for `key`; remembers it either way. */
  seen(key: string, ref: string): boolean {
    const set = this.refs.get(key);
    if (set?.has(ref)) return true;
    if (!set && this.refs.size >= this.max) this.refs.delete(this.refs.keys().next().value!);
    (set ?? this.refs.set(key, new Set()).get(key)!).add(ref);
    return false;
  }
}

export const burvisSubmitCoParticipation: DeliverySpec<'burvis.coparticipation'> = defineDelivery({
  name: 'burvis/submit-coparticipation', status: 'beta', system: 'burvis', receiver: 'agency', accepts: 'burvis.coparticipation', config: CONFIG,
  summary: 'SubmitCoParticipation: a municipality\'s co-participation duties for a client, to NVA; RequestId is the delivery id, so a retry is answered the same Ref.',
  create(options, ctx): Delivery<CoParticipation> {
    const pool = clientPool(ctx.identity, options);
    // NVA's answer is only Accepted and Ref: a repeat is recognised by a Ref this process was
    // already given for the same co-participation. After a restart, or when the first answer was
    // lost to a timeout, a repeat cannot be told and counts as new (duplicate: false).
    const memory = new RefMemory();
    return {
      async deliver(req, target, { timeoutMs }) {
        if (!target.certPem) {
          throw new ConnectorError('HUB_ERR_PARTNER_NOT_CONFIGURED', `partner ${target.partnerId} has no certificate: NVA's answers could not be verified, so nothing is sent`, {
            retryable: false, httpStatus: 503, details: { connector: 'burvis', partner: target.partnerId },
          });
        }
        const { ref } = await pool.get({ endpoint: target.endpoint, certPem: target.certPem })
          .submitCoParticipation(req.item, { requesterId: req.municipality, requestId: req.deliveryId, timeoutMs });
        return { duplicate: memory.seen(`${req.municipality}/${req.item.id}`, ref), ref };
      },
      async close() { pool.close(); },
    };
  },
});
