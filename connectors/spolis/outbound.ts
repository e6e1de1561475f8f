/**
 * `spolis/upsert-decisions`: the effect of a bulk-load route. Writes a processed batch into the
 * SPOLIS store in one transaction (decisions by natural key, rejections, batch and load status),
 * so a batch is either wholly applied or not at all, and applying it again changes nothing.
 */
import { defineOutbound, DecisionRowsEncoder, type DecisionRows } from '../../engine/index.ts';

export const upsertDecisions = defineOutbound({
  name: 'spolis/upsert-decisions',
  summary: 'Upserts canonical decisions into the SPOLIS store by natural key, keeping earlier versions in history.',
  config: { type: 'object', additionalProperties: false, properties: {} },
  // In the prep thread: the records become COPY text per table (store/decision-rows.ts).
  encoder: (ctx) => new DecisionRowsEncoder({ receivedAt: ctx.receivedAt, loadId: ctx.load.loadId, batchSeq: ctx.batchSeq, fieldName: ctx.fieldName }),
  create: (_options, ctx) => ({
    async send(msg) {
      const r = await ctx.store.applyBatch({
        loadId: msg.load.loadId, batchSeq: msg.batchSeq, rows: msg.encoded as DecisionRows | undefined, accepted: msg.accepted, rejected: msg.rejected,
      }, msg.fieldName);
      ctx.logger.info({ loadId: msg.load.loadId, batch: msg.batchSeq, ...r }, r.skipped ? 'batch already applied' : 'batch applied');
    },
    async close() {},
  }),
});
