/**
 * The bulk-load protocol of DESIGN.md §4: create a load, PUT its batches (durable before 202),
 * commit with the expected number of batches, read status and rejections.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from '../components/registry.ts';
import type { RouteDef, PartnerDef } from '../config/types.ts';
import type { RouteQueues } from '../runtime/queues.ts';
import { PartnerAuth, assertAccess } from './auth.ts';
import { httpError } from '../core/errors.ts';
import { municipalityProblem, municipalities } from '../validation/municipalities.ts';
import { createLoad, getLoad, putBatch, commitLoad, listRejections, batchSummaries, failedBatches, type LoadRow, type Store } from '../../store/index.ts';
import { receiptXml } from './load-receipt.ts';
import { loadContracts } from './contracts.ts';
import type { SigningIdentity } from '../soap/signing.ts';
import type { Logger } from '../core/logger.ts';

/** The body of a JSON request of the load API (create, commit). */
export const JSON_BODY_LIMIT = 16 * 1024;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export interface LoadApiDeps {
  store: Store;
  registry: Registry;
  routes: RouteDef[];
  auth: PartnerAuth;
  queues: RouteQueues;
  logger: Logger;
  signing: SigningIdentity;
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

function loadView(l: LoadRow, failed: { seq: number; error: string }[] = []) {
  return {
    id: l.id, source: l.source, municipality: l.municipality, period: l.period, status: l.status,
    batches: l.expectedBatches, records: l.records, quality: l.quality,
    createdAt: l.createdAt, committedAt: l.committedAt, finishedAt: l.finishedAt,
    // A batch accepted at PUT can still fail when processed (a record the full reader cannot read).
    ...(failed.length ? { failedBatches: failed } : {}),
  };
}

export function registerLoadApi(app: FastifyInstance, deps: LoadApiDeps): void {
  const partnerOf = (req: FastifyRequest): PartnerDef => deps.auth.authenticate(req.headers.authorization);
  const contracts = loadContracts(deps.routes.flatMap((r) => ('bulkLoad' in r.from ? [r.from.bulkLoad.source] : [])));

  /** The load, if this partner may see it: its own municipality and system. */
  async function ownLoad(req: FastifyRequest, id: string): Promise<{ partner: PartnerDef; load: LoadRow }> {
    const partner = partnerOf(req);
    const load = await getLoad(deps.store.db, id);
    if (!load) throw httpError(404, 'HUB_ERR_LOAD_NOT_FOUND', `no load ${id}`);
    if (partner.municipality !== load.municipality || partner.system !== load.source) {
      throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${partner.id} may not use load ${id} of municipality ${load.municipality}`);
    }
    return { partner, load };
  }

  // The JSON bodies of a load are a few hundred bytes: 16 KB is room enough, and no more is read.
  app.post('/api/v1/loads', { bodyLimit: JSON_BODY_LIMIT, config: { contract: contracts.create } }, async (req, reply) => {
    const partner = partnerOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    for (const f of ['source', 'municipality', 'period']) {
      if (typeof body[f] !== 'string' || body[f] === '') throw httpError(400, 'HUB_ERR_LOAD_FIELD', `${f} is required (a string)`, f);
    }
    const { source, municipality, period } = body as Record<string, string>;
    const route = deps.routes.find((r) => 'bulkLoad' in r.from && r.from.bulkLoad.source === source);
    if (!route) {
      const valid = deps.routes.flatMap((r) => ('bulkLoad' in r.from ? [r.from.bulkLoad.source] : []));
      throw httpError(400, 'HUB_ERR_LOAD_SOURCE', `no bulk-load route for source "${source}"; valid: ${valid.join(', ')}`, 'source');
    }
    if (!PERIOD.test(period)) throw httpError(400, 'HUB_ERR_LOAD_PERIOD', `period "${period}" must be a month YYYY-MM`, 'period');
    const mp = municipalityProblem(municipality);
    if (mp) throw httpError(400, 'HUB_ERR_LOAD_MUNICIPALITY', mp, 'municipality');
    assertAccess(route, partner);
    if (partner.system !== source || partner.municipality !== municipality) {
      throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${partner.id} reports for ${partner.municipality ?? 'no municipality'} through ${partner.system}, not for ${municipality} through ${source}`);
    }
    const system = municipalities().get(municipality)?.system;
    if (system && system !== source) {
      throw httpError(422, 'HUB_ERR_LOAD_SYSTEM', `municipality ${municipality} reports through ${system}, not ${source} (schemas/classifiers/municipalities.json)`, 'source');
    }
    const load = await createLoad(deps.store.db, { source, municipality, period, partnerId: partner.id, routeId: route.id });
    deps.logger.info({ loadId: load.id, partner: partner.id, source, municipality, period }, 'load created');
    return reply.code(201).send({ id: load.id });
  });

  app.put<{ Params: { id: string; seq: string } }>('/api/v1/loads/:id/batches/:seq', { config: { contract: contracts.putBatch } }, async (req, reply) => {
    const { load } = await ownLoad(req, req.params.id);
    if (!/^[1-9]\d{0,5}$/.test(req.params.seq)) throw httpError(400, 'HUB_ERR_BATCH_SEQ', 'seq is a whole number from 1', 'seq');
    const seq = Number(req.params.seq);
    const format = deps.registry.formatFor(load.source)!;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!format.contentTypes.includes(contentType)) {
      throw httpError(415, 'HUB_ERR_BATCH_CONTENT_TYPE', `a ${load.source} batch is sent as ${format.contentTypes.join(' or ')}, not "${contentType || '(none)'}"`);
    }
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) throw httpError(400, 'HUB_ERR_BATCH_EMPTY', 'the batch body is empty');
    const ct = String(req.headers['content-type']);
    const parsed = format.inspect(body, ct);
    if (parsed.header.municipality !== load.municipality) {
      throw httpError(422, 'HUB_ERR_BATCH_MUNICIPALITY', `the batch is for municipality ${parsed.header.municipality}, the load for ${load.municipality}`, 'municipality');
    }
    if (parsed.header.period !== load.period) {
      throw httpError(422, 'HUB_ERR_BATCH_PERIOD', `the batch is for period ${parsed.header.period}, the load for ${load.period}`, 'period');
    }
    const out = await putBatch(deps.store.db, load.id, seq, body, ct, parsed.recordCount);
    switch (out.kind) {
      case 'stored': return reply.code(202).send({ load: load.id, seq, sha256: out.sha256, records: parsed.recordCount });
      case 'same': return reply.code(200).send({ load: load.id, seq, sha256: out.sha256, records: parsed.recordCount });
      case 'conflict': throw httpError(409, 'HUB_ERR_BATCH_CONFLICT', `batch ${seq} was already received with another body (sha256 ${out.existingSha256}); a batch cannot be changed, start a new load to correct it`);
      case 'closed': throw httpError(409, 'HUB_ERR_LOAD_CLOSED', `load ${load.id} is ${out.status}; it takes no new batches`);
    }
  });

  app.post<{ Params: { id: string } }>('/api/v1/loads/:id/commit', { bodyLimit: JSON_BODY_LIMIT, config: { contract: contracts.commit } }, async (req, reply) => {
    const { load } = await ownLoad(req, req.params.id);
    const n = (req.body as { batches?: unknown } | undefined)?.batches;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw httpError(400, 'HUB_ERR_COMMIT_BATCHES', 'batches must be the number of batches sent (≥ 1)', 'batches');
    const out = await commitLoad(deps.store.db, load.id, n);
    if (out.kind === 'incomplete') {
      const parts = [out.missing.length ? `missing batch(es) ${out.missing.join(', ')}` : '', out.extra.length ? `batch(es) ${out.extra.join(', ')} beyond ${n}` : ''].filter(Boolean);
      throw httpError(422, 'HUB_ERR_COMMIT_INCOMPLETE', `cannot commit ${n} batches: ${parts.join('; ')}`);
    }
    if (out.kind === 'conflict') throw httpError(409, 'HUB_ERR_LOAD_CLOSED', `load is already ${out.load.status} with ${out.load.expectedBatches} batches`);
    if (out.kind === 'committed' || out.load.status === 'committed') await deps.queues.enqueueNext(out.load.routeId, out.load.id);
    deps.logger.info({ loadId: load.id, batches: n }, 'load committed');
    return reply.code(202).send(loadView(out.load));
  });

  app.get<{ Params: { id: string } }>('/api/v1/loads/:id', { config: { contract: contracts.status } }, async (req) => {
    const { load } = await ownLoad(req, req.params.id);
    return loadView(load, load.status === 'failed' ? await failedBatches(deps.store.db, load.id) : []);
  });

  app.get<{ Params: { id: string }; Querystring: { offset?: string; limit?: string } }>('/api/v1/loads/:id/rejections', { config: { contract: contracts.rejections } }, async (req) => {
    const { load } = await ownLoad(req, req.params.id);
    const offset = Math.max(0, Number(req.query.offset ?? 0) || 0);
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    const page = await listRejections(deps.store.db, load.id, { offset, limit });
    return { load: load.id, total: page.total, offset, limit, items: page.items };
  });

  app.get<{ Params: { id: string } }>('/api/v1/loads/:id/receipt', { config: { contract: contracts.receipt } }, async (req, reply) => {
    const { load } = await ownLoad(req, req.params.id);
    if (load.status !== 'done' && load.status !== 'failed') {
      throw httpError(409, 'HUB_ERR_RECEIPT_NOT_READY', `load ${load.id} is ${load.status}; its receipt is issued when it is done`);
    }
    const xml = receiptXml(load, await batchSummaries(deps.store.db, load.id), new Date(), deps.signing);
    return reply.type('application/xml; charset=utf-8').send(xml);
  });

  // Public: anyone holding a receipt verifies it with this certificate.
  app.get('/api/v1/certificate', { config: { contract: contracts.certificate } }, async (_req, reply) => reply.type('application/x-pem-file').send(deps.signing.certPem));
}

