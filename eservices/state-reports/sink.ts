/**
 * `spolis/store-state-report`: the effect of the state report e-service's route
 * (routes/portal-state-reports.yaml). Stores a submitted report as the next version of its
 * (municipality, year) inside the caller's transaction, so the submission and its audit row commit
 * together or not at all; the same figures and comments again store nothing (store/state-reports.ts).
 */
import { defineSink } from '../../engine/components/specs.ts';
import { storeStateReport } from '../../store/state-reports.ts';

export const storeStateReportSink = defineSink({
  name: 'spolis/store-state-report',
  summary: 'Stores a municipality\'s submitted annual state statistical report as its next version, keeping the earlier ones.',
  accepts: 'spolis.state-report',
  config: { type: 'object', additionalProperties: false, properties: {} },
  create: (_options, ctx) => ({
    async accept(items, meta, tx) {
      let stored = 0;
      for (const item of items) {
        const r = await storeStateReport(tx, item);
        if (r.changed) stored++;
        ctx.logger.info({ route: meta.routeId, actor: meta.actor, municipality: item.municipality, year: item.year, version: r.version, changed: r.changed }, 'state report submitted');
      }
      return stored;
    },
    async close() {},
  }),
});
