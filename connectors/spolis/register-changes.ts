/**
 * `spolis/store-register-changes`: the effect of the PMLP feed's pull. Keeps each change of the
 * population register once (by ChangeId), inside the pull's transaction, so the checkpoint moves
 * together with the changes or not at all, and a page pulled again adds no history row.
 */
import { defineSink } from '../../engine/index.ts';

export const storeRegisterChanges = defineSink({
  name: 'spolis/store-register-changes',
  summary: 'Keeps PMLP population-register changes (deaths, declared residences) once each, for the Ministry\'s cross-checks.',
  accepts: 'pmlp.change',
  config: { type: 'object', additionalProperties: false, properties: {} },
  create: (_options, ctx) => ({
    async accept(items, meta, tx) {
      const added = await ctx.store.storeRegisterChanges(items, meta.origin, tx);
      ctx.logger.info({ route: meta.routeId, actor: meta.actor, requestId: meta.requestId, received: items.length, added }, 'register changes stored');
      return items.length;
    },
    async close() {},
  }),
});
