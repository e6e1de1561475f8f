/**
 * `spolis/store-opinions`: the effect of the VDEĀVK routes (scheduled pull and SOAP push). Stores
 * each opinion by OpinionId, the newest change winning, inside the caller's transaction, so the
 * pull's checkpoint or the push's RequestId is recorded together with the opinions or not at all.
 */
import { defineSink } from '../../engine/index.ts';

export const storeOpinions = defineSink({
  name: 'spolis/store-opinions',
  summary: 'Stores VDEĀVK assistant-service opinions by OpinionId (newest change wins) for the Ministry\'s cross-checks.',
  accepts: 'vdeavk.opinion',
  config: { type: 'object', additionalProperties: false, properties: {} },
  create: (_options, ctx) => ({
    async accept(items, meta, tx) {
      const n = await ctx.store.upsertOpinions(items, meta.origin, tx);
      ctx.logger.info({ route: meta.routeId, actor: meta.actor, requestId: meta.requestId, received: items.length, changed: n }, 'opinions stored');
      return items.length;
    },
    async close() {},
  }),
});
