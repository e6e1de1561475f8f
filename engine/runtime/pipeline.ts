/**
 * Runs a bulk-load route's steps over one stored batch. Record-level steps (transform, validate)
 * map over the batch's records and turn each failure into a rejection of that record alone; a
 * batch-level step (`to`) then receives the whole batch. A batch-level fault (a bug, the store
 * down) throws, and the queue retries the batch; records are never half-applied.
 */
import type { Registry } from '../components/registry.ts';
import type { RouteDef } from '../config/types.ts';
import type {
  AcceptedRecord, BatchEncoder, BatchHeader, BatchMessage, LoadContext, Outbound, OutboundSpec, PartnerRecord, RejectedRecord, TransformerSpec, ValidatorSpec,
} from '../components/specs.ts';
import type { Decision, Source } from '../../schemas/canonical/model.ts';
import { naturalKey } from '../../schemas/canonical/model.ts';
import { HubError, isHubError } from '../core/errors.ts';
import { getBatch, getLoad, markProcessing, type Store } from '../../store/index.ts';

export interface BatchRef {
  loadId: string;
  seq: number;
}

export interface PipelineDeps {
  store: Store;
  registry: Registry;
  outbounds: Map<string, Outbound>;
  /** Runs the record-level steps; by default in this thread (see prep-pool.ts for threads). */
  prepare?: PrepareFn;
}

/** What crosses a thread boundary: plain data only. */
export interface PrepareInput {
  routeId: string;
  source: string;
  recordSteps: ({ transform: string } | { validate: string })[];
  /** The batch-level steps: those whose specs encode run their encoders in the thread too. */
  batchSteps: string[];
  load: LoadContext;
  batchSeq: number;
  /** When the batch reached the hub (ISO instant). */
  receivedAt: string;
  body: Uint8Array;
  contentType: string;
}

export interface Prepared {
  records: number;
  acceptedCount: number;
  /** Absent when every batch-level step encoded the records (see OutboundSpec.encoder). */
  accepted?: AcceptedRecord[];
  /** Each encoding step's output, by step name. */
  encoded: Record<string, unknown>;
  rejected: RejectedRecord[];
}

export type PrepareFn = (input: PrepareInput) => Promise<Prepared>;

export interface BatchOutcome {
  skipped: boolean;
  records: number;
  accepted: number;
  rejected: number;
}

type RecordStep = { kind: 'transform'; spec: TransformerSpec } | { kind: 'validate'; spec: ValidatorSpec };

/** Splits a bulk-load route's steps into the record-level ones and the batch-level ones. */
export function splitSteps(route: RouteDef): { record: PrepareInput['recordSteps']; batch: string[] } {
  const record: PrepareInput['recordSteps'] = [];
  const batch: string[] = [];
  for (const s of route.steps) {
    if ('transform' in s) record.push({ transform: s.transform });
    else if ('validate' in s) record.push({ validate: s.validate });
    else if ('to' in s) batch.push(s.to);
    else throw new HubError('HUB_ERR_ROUTE_STEP', `route ${route.id}: step ${JSON.stringify(s)} cannot run in a bulk-load route`);
  }
  return { record, batch };
}

function resolve(registry: Registry, steps: PrepareInput['recordSteps']): RecordStep[] {
  return steps.map((s) => ('transform' in s
    ? { kind: 'transform' as const, spec: registry.get('transformer', s.transform)! }
    : { kind: 'validate' as const, spec: registry.get('validator', s.validate)! }));
}

const fieldNameOf = (transformer: TransformerSpec | undefined) => (kind: Decision['kind'], f: string): string =>
  (transformer ? transformer.partnerField(kind, f) : f);

/**
 * Parses a batch and runs the record-level steps: pure CPU, no I/O, so it can run in a worker
 * thread. A record's own fault rejects that record; anything else throws for the whole batch.
 * Records stream through: each is read, transformed, validated and encoded before the next is
 * read, so that (when every batch-level step encodes) no record outlives its own turn.
 */
export function prepareBatch(registry: Registry, input: PrepareInput): Prepared {
  const format = registry.formatFor(input.source);
  if (!format) throw new HubError('HUB_ERR_ROUTE_SOURCE', `no bulk format for source ${input.source}`);
  const body = Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength);
  const steps = resolve(registry, input.recordSteps);
  const transformer = steps.find((s) => s.kind === 'transform')?.spec as TransformerSpec | undefined;
  const fieldName = fieldNameOf(transformer);
  const ctx = input.load;
  const encodeCtx = { load: ctx, batchSeq: input.batchSeq, receivedAt: input.receivedAt, fieldName };
  const encoders: [string, BatchEncoder][] = [];
  let everyStepEncodes = input.batchSteps.length > 0;
  for (const name of input.batchSteps) {
    const spec = registry.get('outbound', name) as OutboundSpec | undefined;
    if (spec?.encoder) encoders.push([name, spec.encoder(encodeCtx)]);
    else everyStepEncodes = false;
  }

  const accepted: AcceptedRecord[] = [];
  let acceptedCount = 0;
  const rejected: RejectedRecord[] = [];
  let index = 0;
  const onRecord = (rec: PartnerRecord, header: BatchHeader): void => {
    const i = index++;
    if (rec.errors?.length) {
      rejected.push({ index: i, naturalKey: null, kind: null, errors: rec.errors });
      return;
    }
    let value: unknown = rec;
    for (const step of steps) {
      if (step.kind === 'transform') {
        try {
          value = step.spec.transform(value as typeof rec, { load: ctx, header });
        } catch (e) {
          if (!isHubError(e)) throw e;
          rejected.push({ index: i, naturalKey: null, kind: null, errors: [{ field: rec.type, code: 'FORMAT', message: e.message }] });
          return;
        }
      } else {
        const errors = step.spec.validate(value as Decision, { load: ctx, fieldName, partnerCodes: transformer?.partnerCodes });
        if (errors.length) {
          const d = value as Decision;
          rejected.push({ index: i, naturalKey: d.decisionId ? naturalKey(d) : null, kind: d.kind ?? null, errors });
          return;
        }
      }
    }
    const a: AcceptedRecord = { index: i, record: value as Decision };
    acceptedCount++;
    for (const [, enc] of encoders) enc.add(a);
    if (!everyStepEncodes) accepted.push(a);
  };
  format.read(body, input.contentType, onRecord);
  const encoded: Record<string, unknown> = {};
  for (const [name, enc] of encoders) encoded[name] = enc.finish();
  return { records: index, acceptedCount, accepted: everyStepEncodes ? undefined : accepted, encoded, rejected };
}

/**
 * Runs one stored batch through its route. `beforeEffects` runs after the record-level steps and
 * before the first batch-level step: the queue uses it to keep one load's writes in seq order and
 * to start the next batch's CPU work while this one is written.
 */
export async function runBatch(deps: PipelineDeps, route: RouteDef, ref: BatchRef, beforeEffects?: () => Promise<void>): Promise<BatchOutcome> {
  const load = await getLoad(deps.store.db, ref.loadId);
  const batch = await getBatch(deps.store.db, ref.loadId, ref.seq);
  if (!load || !batch) throw new HubError('HUB_ERR_BATCH_NOT_FOUND', `batch ${ref.loadId}/${ref.seq} is not in the store`);
  if (batch.status !== 'pending') return { skipped: true, records: 0, accepted: 0, rejected: 0 };
  if (!('bulkLoad' in route.from)) throw new HubError('HUB_ERR_ROUTE_TRIGGER', `route ${route.id} is not a bulk-load route`);
  await markProcessing(deps.store.db, ref.loadId);

  const ctx: LoadContext = {
    loadId: load.id, source: load.source as Source, municipality: load.municipality, period: load.period, createdAt: load.createdAt,
  };
  const steps = splitSteps(route);
  const input: PrepareInput = {
    routeId: route.id, source: route.from.bulkLoad.source, recordSteps: steps.record, batchSteps: steps.batch, load: ctx,
    batchSeq: ref.seq, receivedAt: batch.receivedAt, body: batch.body, contentType: batch.contentType,
  };
  const prepared = deps.prepare ? await deps.prepare(input) : prepareBatch(deps.registry, input);
  const transformer = steps.record.map((s) => ('transform' in s ? deps.registry.get('transformer', s.transform) : undefined)).find(Boolean);
  await beforeEffects?.();
  for (const name of steps.batch) {
    const msg: BatchMessage = {
      load: ctx, batchSeq: ref.seq, acceptedCount: prepared.acceptedCount, accepted: prepared.accepted, encoded: prepared.encoded[name],
      rejected: prepared.rejected, fieldName: fieldNameOf(transformer),
    };
    await deps.outbounds.get(name)!.send(msg);
  }
  return { skipped: false, records: prepared.records, accepted: prepared.acceptedCount, rejected: prepared.rejected.length };
}

