/**
 * Queue status (issue 13, e-service 3; docs/partners/portal-service-queues.md). Municipalities and
 * the State Social Care Centre report each of their queues as a full snapshot; the hub keeps the
 * latest as the current state with a history of every change, and in the same transaction plans
 * an e-address notice for each person whose change is news (notice-rule.ts). A person asks the
 * portal for their positions in every queue; a reporter reads its own queues; the Ministry reads
 * counts without persons.
 *
 *   PUT /api/v1/service-queues/{queueId}     municipality, institution: report a snapshot
 *   GET /api/v1/service-queues/{queueId}     municipality, institution: their own queue, with persons
 *   GET /api/v1/service-queues               municipality, institution: their own queues, no persons
 *   GET /api/v1/service-queues?summary       Ministry: counts per service type and municipality
 *   GET /api/v1/persons/me/queue-positions   person (portal): their own positions
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EAddressMessage } from '../../schemas/canonical/model.ts';
import type { RouteDef } from '../../engine/config/types.ts';
import { httpError } from '../../engine/core/errors.ts';
import { assertAccess } from '../../engine/http/auth.ts';
import { municipalities } from '../../engine/validation/municipalities.ts';
import {
  lockQueue, queueHead, queueEntries, storeSnapshot, touchQueue, reporterQueues, personPositions, queueSummary,
  type QueueHead, type QueueKey,
} from '../../store/service-queues.ts';
import type { EServiceDeps } from '../common/deps.ts';
import { routeAt } from '../common/deps.ts';
import { actorOf, assertCaller, type Caller } from '../common/portal-caller.ts';
import { readCaller, readJsonRequest } from '../common/request.ts';
import { QUEUE_ID, QUEUE_INVALID, readSnapshot, type ReporterContext } from './snapshot.ts';
import { diffSnapshot } from './notice-rule.ts';
import { queueNotice } from './notices.ts';
import { SERVICE_QUEUE_CONTRACTS as C } from './contract.ts';

export const SERVICE_QUEUES_PATH = '/api/v1/service-queues';
export const QUEUE_POSITIONS_PATH = '/api/v1/persons/me/queue-positions';
const SERVICE = 'eservice:service-queues';
/** A queue of tens of thousands: about 120 bytes an entry. */
export const SNAPSHOT_BODY_LIMIT = 12 * 1024 * 1024;

type Reporter = Extract<Caller, { kind: 'municipality' | 'institution' }>;

/** Whose namespace a reporter's queue ids live in: the municipality (any of its partner keys), or the institution's system. */
const reporterOf = (c: Reporter): string => (c.kind === 'municipality' ? c.municipality : c.partner.system);

const VSAC_NAME = 'Valsts sociālās aprūpes centrs';

export function registerServiceQueues(app: FastifyInstance, deps: EServiceDeps): void {
  const route = routeAt(deps.routes, SERVICE_QUEUES_PATH);
  if (!route) return;

  const reporterName = (kind: QueueHead['reporterKind'], reporter: string): string => {
    if (kind === 'municipality') return municipalities().get(reporter)?.name ?? reporter;
    if (reporter === 'vsac') return VSAC_NAME;
    return deps.partners.find((p) => p.system === reporter)?.description ?? reporter;
  };

  const callerOf = async (req: FastifyRequest, r: RouteDef): Promise<Caller> => {
    const caller = await readCaller(req, deps.callers);
    assertAccess(r, caller.partner);
    return caller;
  };

  const keyOf = (caller: Reporter, queueId: string): QueueKey => {
    if (!QUEUE_ID.test(queueId)) throw httpError(400, QUEUE_INVALID, 'a queue id is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit', 'queueId');
    return { reporter: reporterOf(caller), queueId };
  };

  app.put<{ Params: { queueId: string } }>(`${SERVICE_QUEUES_PATH}/:queueId`, { bodyLimit: SNAPSHOT_BODY_LIMIT, config: { contract: C.report } }, async (req, reply) => {
    const caller = await callerOf(req, route);
    assertCaller(caller, ['municipality', 'institution'], 'report a service queue');
    const { body } = await readJsonRequest(req, deps.callers, QUEUE_INVALID);
    const who: ReporterContext = { kind: caller.kind, partnerId: caller.partner.id, ...(caller.kind === 'municipality' ? { municipality: caller.municipality } : {}) };
    const snap = readSnapshot(body, req.params.queueId, who);
    const key = keyOf(caller, snap.queueId);

    const messages: EAddressMessage[] = [];
    let result: { status: 'created' | 'changed' | 'unchanged'; version: number; changedEntries: number } | undefined;
    let head: Omit<QueueHead, 'updatedAt'> | undefined;
    await deps.flows.apply(route, 'eaddress.message', messages, { routeId: route.id, actor: caller.partner.id, origin: 'push', requestId: `${key.reporter}/${key.queueId}@${snap.asOf}` }, {
      // Runs first in the transaction that also writes the notices' deliveries: the diff is made
      // under the queue's lock against what is stored, and `messages` is filled before they are planned.
      before: async (tx) => {
        await lockQueue(tx, key);
        const old = await queueHead(tx, key);
        if (old) {
          const t = Date.parse(snap.asOf), held = Date.parse(old.asOf);
          if (t < held) {
            throw httpError(409, 'HUB_ERR_QUEUE_STALE', `the hub holds a snapshot of queue ${key.queueId} as of ${old.asOf}, newer than this one (${snap.asOf}); a late retry cannot roll positions back. Send the queue as it is now, with its own asOf`, 'asOf');
          }
          if (t === held) {
            if (old.contentSha256 !== snap.contentSha256) {
              throw httpError(409, 'HUB_ERR_QUEUE_CONFLICT', `queue ${key.queueId} already has another snapshot as of ${old.asOf}; a changed queue is a new snapshot with a later asOf`, 'asOf');
            }
            result = { status: 'unchanged', version: old.version, changedEntries: 0 };
            head = old;
            return false;
          }
          if (old.contentSha256 === snap.contentSha256) {
            await touchQueue(tx, key, snap.asOf);
            result = { status: 'unchanged', version: old.version, changedEntries: 0 };
            head = { ...old, asOf: snap.asOf };
            return true;
          }
        }
        const current = new Map((old ? await queueEntries(tx, key) : []).map((e) => [e.personCode, e]));
        const diff = diffSnapshot(current, snap.entries, snap.asOf);
        const count = (s: string): number => snap.entries.filter((e) => e.status === s).length;
        head = {
          ...key, reporterKind: caller.kind, municipality: snap.municipality, serviceType: snap.serviceType, name: snap.name,
          providerRegNo: snap.providerRegNo, asOf: snap.asOf, version: (old?.version ?? 0) + 1, contentSha256: snap.contentSha256,
          waiting: count('WAITING'), granted: count('GRANTED'), removed: count('REMOVED'),
        };
        await storeSnapshot(tx, { head, entries: diff.entries, history: diff.history });
        const q = { reporter: key.reporter, reporterName: reporterName(caller.kind, key.reporter), queueId: key.queueId, name: snap.name, municipality: snap.municipality, asOf: snap.asOf, waiting: head.waiting };
        messages.push(...diff.notices.map((n) => queueNotice(q, n.entry, n.reason)));
        result = { status: old ? 'changed' : 'created', version: head.version, changedEntries: diff.history.length };
        return true;
      },
    });
    const r = result!, h = head!;
    await deps.audit.append({
      actor: actorOf(caller), subject: `queue:${key.reporter}/${key.queueId}`, service: SERVICE, purpose: 'report a queue snapshot',
      outcome: r.status, details: { version: r.version, asOf: snap.asOf, entries: snap.entries.length, changedEntries: r.changedEntries, notices: messages.length },
    });
    return reply.code(r.status === 'created' ? 201 : 200).send({
      queueId: key.queueId, status: r.status, version: r.version, asOf: h.asOf,
      waiting: h.waiting, granted: h.granted, removed: h.removed, changedEntries: r.changedEntries, notices: messages.length,
    });
  });

  app.get<{ Params: { queueId: string } }>(`${SERVICE_QUEUES_PATH}/:queueId`, { config: { contract: C.get } }, async (req) => {
    const caller = await callerOf(req, route);
    assertCaller(caller, ['municipality', 'institution'], 'read a service queue (only its reporter reads it with persons; the Ministry reads ?summary)');
    const key = keyOf(caller, req.params.queueId);
    const head = await queueHead(deps.store.db, key);
    if (!head) throw httpError(404, 'HUB_ERR_QUEUE_NOT_FOUND', `${caller.partner.id} has reported no queue ${key.queueId} (queue ids are the reporter's own)`, 'queueId');
    const entries = await queueEntries(deps.store.db, key);
    // No audit row, no answer: the queue lists persons.
    await deps.audit.append({ actor: actorOf(caller), subject: `queue:${key.reporter}/${key.queueId}`, service: SERVICE, purpose: 'read own queue', outcome: `answered ${entries.length} entries`, details: { version: head.version } });
    return {
      ...headView(head),
      entries: entries.map((e) => ({
        personCode: e.personCode, status: e.status, ...(e.position !== null ? { position: e.position } : {}), joinedOn: e.joinedOn,
        ...(e.expectedStart ? { expectedStart: e.expectedStart } : {}), changedAt: e.changedAt,
      })),
    };
  });

  app.get<{ Querystring: Record<string, string> }>(SERVICE_QUEUES_PATH, { config: { contract: C.list } }, async (req) => {
    const caller = await callerOf(req, route);
    if (req.query && 'summary' in req.query) {
      assertCaller(caller, ['ministry'], 'read the summary of all service queues');
      const rows = await queueSummary(deps.store.db);
      return {
        summary: rows.map((r) => ({ ...r, ...(r.municipality ? { municipalityName: municipalities().get(r.municipality)?.name ?? r.municipality } : {}) })),
      };
    }
    assertCaller(caller, ['municipality', 'institution'], 'list service queues (the Ministry reads ?summary)');
    return { queues: (await reporterQueues(deps.store.db, reporterOf(caller))).map(headView) };
  });

  app.get(QUEUE_POSITIONS_PATH, { config: { contract: C.positions } }, async (req) => {
    const caller = await callerOf(req, route);
    assertCaller(caller, ['person'], 'read a person\'s queue positions (only the person, through the portal)');
    const rows = await personPositions(deps.store.db, caller.personCode);
    await deps.audit.append({ actor: actorOf(caller), subject: caller.personCode, service: SERVICE, purpose: 'own queue positions', outcome: `answered ${rows.length} positions`, details: { requestId: caller.requestId } });
    return {
      positions: rows.map((p) => ({
        reporter: { kind: p.reporterKind, id: p.reporter, name: reporterName(p.reporterKind, p.reporter) },
        ...(p.municipality ? { municipality: p.municipality } : {}),
        queueId: p.queueId, queueName: p.queueName, serviceType: p.serviceType, ...(p.providerRegNo ? { providerRegNo: p.providerRegNo } : {}),
        status: p.status, ...(p.position !== null ? { position: p.position } : {}), queueLength: p.queueLength,
        joinedOn: p.joinedOn, ...(p.expectedStart ? { expectedStart: p.expectedStart } : {}),
        lastChange: { at: p.changedAt, ...(p.previousPosition !== null ? { previousPosition: p.previousPosition } : {}) },
        asOf: p.asOf,
      })),
    };
  });
}

const headView = (h: QueueHead | Omit<QueueHead, 'updatedAt'>) => ({
  queueId: h.queueId, serviceType: h.serviceType, name: h.name, ...(h.providerRegNo ? { providerRegNo: h.providerRegNo } : {}),
  ...(h.municipality ? { municipality: h.municipality } : {}), asOf: h.asOf, version: h.version, waiting: h.waiting, granted: h.granted, removed: h.removed,
});
