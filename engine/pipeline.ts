/**
 * Runs a bulk-load route's steps over one stored batch. Record-level steps (transform, validate)
 * map over the batch's records and turn each failure into a rejection of that record alone; a
 * batch-level step (`to`) then receives the whole batch. A batch-level fault (a bug, the store
 * down) throws, and the queue retries the batch; records are never half-applied.
 */
import type { Registry } from './registry.ts';
import type { RouteDef } from './route-types.ts';
import type {
  AcceptedRecord, BatchMessage, LoadContext, Outbound, RejectedRecord, TransformerSpec, ValidatorSpec,
} from './components.ts';
import type { Decision, Source } from '../schemas/canonical/model.ts';
import { naturalKey } from '../schemas/canonical/model.ts';
import { HubError, isHubError } from './errors.ts';
import { getBatch, getLoad, markProcessing, type Store } from '../store/index.ts';

export interface BatchRef {
  loadId: string;
  seq: number;
}

export interface PipelineDeps {
  store: Store;
  registry: Registry;
  outbounds: Map<string, Outbound>;
}

export interface BatchOutcome {
  skipped: boolean;
  records: number;
  accepted: number;
  rejected: number;
}

type RecordStep = { kind: 'transform'; spec: TransformerSpec } | { kind: 'validate'; spec: ValidatorSpec };

/** Resolved once per route: the registry lookups are not repeated per record. */
function recordSteps(route: RouteDef, registry: Registry): { record: RecordStep[]; batch: string[] } {
  const record: RecordStep[] = [];
  const batch: string[] = [];
  for (const s of route.steps) {
    if ('transform' in s) record.push({ kind: 'transform', spec: registry.get('transformer', s.transform)! });
    else if ('validate' in s) record.push({ kind: 'validate', spec: registry.get('validator', s.validate)! });
    else if ('to' in s) batch.push(s.to);
    else throw new HubError('HUB_ERR_ROUTE_STEP', `route ${route.id}: step ${JSON.stringify(s)} cannot run in a bulk-load route`);
  }
  return { record, batch };
}

/**
 * `beforeEffects` runs after the record-level steps and before the first batch-level step: the
 * queue uses it to start the next batch's CPU work while this one is written, and to keep the
 * writes of one load in seq order.
 */
export async function runBatch(deps: PipelineDeps, route: RouteDef, ref: BatchRef, beforeEffects?: () => Promise<void>): Promise<BatchOutcome> {
  const load = await getLoad(deps.store.db, ref.loadId);
  const batch = await getBatch(deps.store.db, ref.loadId, ref.seq);
  if (!load || !batch) throw new HubError('HUB_ERR_BATCH_NOT_FOUND', `batch ${ref.loadId}/${ref.seq} is not in the store`);
  if (batch.status !== 'pending') return { skipped: true, records: 0, accepted: 0, rejected: 0 };
  await markProcessing(deps.store.db, ref.loadId);

  if (!('bulkLoad' in route.from)) throw new HubError('HUB_ERR_ROUTE_TRIGGER', `route ${route.id} is not a bulk-load route`);
  const format = deps.registry.formatFor(route.from.bulkLoad.source)!;
  const parsed = format.parse(batch.body, batch.contentType);
  const ctx: LoadContext = {
    loadId: load.id, source: load.source as Source, municipality: load.municipality, period: load.period, createdAt: load.createdAt,
  };
  const steps = recordSteps(route, deps.registry);
  const transformer = steps.record.find((s) => s.kind === 'transform')?.spec as TransformerSpec | undefined;
  const fieldName = (kind: Decision['kind'], f: string): string => (transformer ? transformer.partnerField(kind, f) : f);

  const accepted: AcceptedRecord[] = [];
  const rejected: RejectedRecord[] = [];
  parsed.records.forEach((rec, index) => {
    if (rec.errors?.length) {
      rejected.push({ index, naturalKey: null, kind: null, errors: rec.errors });
      return;
    }
    let value: unknown = rec;
    for (const step of steps.record) {
      if (step.kind === 'transform') {
        try {
          value = step.spec.transform(value as typeof rec, { load: ctx, header: parsed.header });
        } catch (e) {
          if (!isHubError(e)) throw e;
          rejected.push({ index, naturalKey: null, kind: null, errors: [{ field: rec.type, code: 'FORMAT', message: e.message }] });
          return;
        }
      } else {
        const errors = step.spec.validate(value as Decision, { load: ctx, fieldName });
        if (errors.length) {
          const d = value as Decision;
          rejected.push({ index, naturalKey: d.decisionId ? naturalKey(d) : null, kind: d.kind ?? null, errors });
          return;
        }
      }
    }
    accepted.push({ index, record: value as Decision });
  });

  const msg: BatchMessage = { load: ctx, batchSeq: ref.seq, accepted, rejected, fieldName };
  await beforeEffects?.();
  for (const name of steps.batch) await deps.outbounds.get(name)!.send(msg);
  return { skipped: false, records: parsed.records.length, accepted: accepted.length, rejected: rejected.length };
}
