/**
 * Reads a reported queue snapshot (docs/partners/portal-service-queues.md, "Reporting a queue"):
 * the whole body is checked before anything is stored, and every problem is named by its place
 * (`entries[12].position`), so a reporter with a queue of thousands finds its bad entry at once.
 */
import { createHash } from 'node:crypto';
import { httpError } from '../../engine/core/errors.ts';
import { normalizePersonCode, personCodeProblem, isRealDate } from '../../engine/validation/person-code.ts';
import { municipalityProblem } from '../../engine/validation/municipalities.ts';
import { SERVICE_TYPES } from '../../store/report-table.ts';
import type { QueueStatus } from '../../store/service-queues.ts';
import { regNoProblem } from '../common/portal-caller.ts';

export const QUEUE_INVALID = 'HUB_ERR_QUEUE_INVALID';

/** The State Social Care Centre keeps queues for state-funded long-term care and social rehabilitation only. */
export const INSTITUTION_SERVICE_TYPES = ['LONG_TERM_CARE', 'REHABILITATION'] as const;

/** A reporter's clock may run ahead of the hub's by this much; more is a wrong asOf, not skew. */
const AS_OF_SKEW_MS = 5 * 60_000;

export const QUEUE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const STATUSES: readonly QueueStatus[] = ['WAITING', 'GRANTED', 'REMOVED'];
const BODY_FIELDS = new Set(['asOf', 'serviceType', 'name', 'providerRegNo', 'municipality', 'entries']);
const ENTRY_FIELDS = new Set(['personCode', 'position', 'joinedOn', 'expectedStart', 'status']);
/** Problems named in one 400: enough to fix a systematic mistake, short enough to read. */
const MAX_LISTED = 10;

export interface SnapshotEntry {
  personCode: string;
  status: QueueStatus;
  /** WAITING only: 1…n over the persons waiting. */
  position: number | null;
  joinedOn: string;
  expectedStart: string | null;
}

export interface Snapshot {
  queueId: string;
  serviceType: string;
  name: string;
  providerRegNo: string | null;
  municipality: string | null;
  /** The reporter's time of the snapshot, as an ISO instant with milliseconds (UTC). */
  asOf: string;
  entries: SnapshotEntry[];
  /** sha256 of everything but asOf, entries in person-code order: the same queue twice is one content. */
  contentSha256: string;
}

export interface ReporterContext {
  kind: 'municipality' | 'institution';
  /** The municipality's own ATVK (municipality callers). */
  municipality?: string;
  partnerId: string;
}

const isDate = (v: unknown): v is string =>
  typeof v === 'string' && DATE.test(v) && isRealDate(Number(v.slice(0, 4)), Number(v.slice(5, 7)), Number(v.slice(8, 10)));

/** The snapshot in `body` for queue `queueId`, or a 400 naming each problem (403 for another's data). */
export function readSnapshot(body: Record<string, unknown>, queueId: string, who: ReporterContext, now = Date.now()): Snapshot {
  const problems: { field: string; text: string }[] = [];
  const bad = (field: string, text: string): void => { problems.push({ field, text }); };
  const fail = (): never => {
    const [first] = problems;
    const more = problems.length > 1 ? `; also ${problems.slice(1, MAX_LISTED).map((p) => `${p.field}: ${p.text}`).join('; ')}${problems.length > MAX_LISTED ? `; and ${problems.length - MAX_LISTED} more` : ''}` : '';
    throw httpError(400, QUEUE_INVALID, `${first.field}: ${first.text}${more}. Nothing was stored.`, first.field);
  };

  if (!QUEUE_ID.test(queueId)) bad('queueId', 'a queue id is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  for (const k of Object.keys(body)) if (!BODY_FIELDS.has(k)) bad(k, `is not a field of a queue snapshot (fields: ${[...BODY_FIELDS].join(', ')})`);

  let asOf = '';
  if (typeof body.asOf !== 'string' || !INSTANT.test(body.asOf) || Number.isNaN(Date.parse(body.asOf))) {
    bad('asOf', 'the time the snapshot was taken is required, as an ISO 8601 instant with offset, e.g. "2026-12-01T06:00:00+02:00"');
  } else if (Date.parse(body.asOf) > now + AS_OF_SKEW_MS) {
    bad('asOf', `${body.asOf} is in the future; check the reporting system's clock`);
  } else {
    asOf = new Date(Date.parse(body.asOf)).toISOString();
  }

  const serviceTypes = who.kind === 'institution' ? INSTITUTION_SERVICE_TYPES as readonly string[] : SERVICE_TYPES;
  if (typeof body.serviceType !== 'string' || !SERVICE_TYPES.includes(body.serviceType)) {
    bad('serviceType', `must be a service type of classifiers.md: ${SERVICE_TYPES.join(', ')}`);
  } else if (!serviceTypes.includes(body.serviceType)) {
    throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${who.partnerId} reports queues for ${serviceTypes.join(' and ')} only, not ${body.serviceType}`, 'serviceType');
  }
  if (typeof body.name !== 'string' || !body.name.trim() || body.name.length > 200) bad('name', 'the queue\'s name as a person should read it, 1–200 characters');
  if (body.providerRegNo !== undefined && body.providerRegNo !== null) {
    const p = regNoProblem(body.providerRegNo);
    if (p) bad('providerRegNo', p);
  }
  let municipality: string | null = null;
  if (who.kind === 'municipality') {
    if (body.municipality !== undefined && body.municipality !== who.municipality) {
      throw httpError(403, 'HUB_ERR_ACCESS_DENIED', `partner ${who.partnerId} reports queues of ${who.municipality}, not of ${String(body.municipality)}`, 'municipality');
    }
    municipality = who.municipality!;
  } else if (body.municipality !== undefined && body.municipality !== null) {
    const p = typeof body.municipality === 'string' ? municipalityProblem(body.municipality) : 'must be a 7-digit ATVK code';
    if (p) bad('municipality', p);
    else municipality = body.municipality as string;
  }

  const entries: SnapshotEntry[] = [];
  if (!Array.isArray(body.entries)) {
    bad('entries', 'the whole queue is required: an array of {personCode, position, joinedOn, expectedStart?, status?} (empty for an empty queue)');
  } else {
    const asOfDate = asOf ? asOf.slice(0, 10) : undefined;
    const waiting = body.entries.filter((e) => typeof e === 'object' && e !== null && ((e as { status?: unknown }).status ?? 'WAITING') === 'WAITING').length;
    const seenPerson = new Map<string, number>();
    const seenPosition = new Map<number, number>();
    body.entries.forEach((raw: unknown, i) => {
      const at = (f: string): string => `entries[${i}].${f}`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) { bad(`entries[${i}]`, 'must be an object'); return; }
      const e = raw as Record<string, unknown>;
      const before = problems.length;
      for (const k of Object.keys(e)) if (!ENTRY_FIELDS.has(k)) bad(at(k), `is not a field of an entry (fields: ${[...ENTRY_FIELDS].join(', ')})`);
      const status = (e.status ?? 'WAITING') as QueueStatus;
      if (!STATUSES.includes(status)) bad(at('status'), `must be one of ${STATUSES.join(', ')} (WAITING when left out)`);
      let personCode = '';
      if (typeof e.personCode !== 'string') bad(at('personCode'), 'is required: the person\'s code, 11 digits');
      else {
        const p = personCodeProblem(e.personCode);
        if (p) bad(at('personCode'), p);
        else {
          personCode = normalizePersonCode(e.personCode)!;
          const first = seenPerson.get(personCode);
          if (first !== undefined) bad(at('personCode'), `the same person is entries[${first}]; a person is in a queue once`);
          else seenPerson.set(personCode, i);
        }
      }
      let position: number | null = null;
      if (status === 'WAITING') {
        if (typeof e.position !== 'number' || !Number.isInteger(e.position) || e.position < 1) bad(at('position'), 'a person waiting has a position, an integer from 1');
        else if (e.position > waiting) bad(at('position'), `is ${e.position}, and ${waiting} persons are waiting: positions are 1…${waiting}, each once, without gaps`);
        else {
          const first = seenPosition.get(e.position);
          if (first !== undefined) bad(at('position'), `${e.position} is also entries[${first}]'s; positions are 1…${waiting}, each once`);
          else seenPosition.set(e.position, i);
          position = e.position;
        }
      } else if (e.position !== undefined && e.position !== null) {
        bad(at('position'), `a person ${status} has left the queue and has no position; leave it out`);
      }
      if (!isDate(e.joinedOn)) bad(at('joinedOn'), 'the date the person joined the queue is required, as a real date YYYY-MM-DD');
      else if (asOfDate && e.joinedOn > asOfDate) bad(at('joinedOn'), `${e.joinedOn} is after the snapshot's asOf ${asOfDate}`);
      let expectedStart: string | null = null;
      if (e.expectedStart !== undefined && e.expectedStart !== null) {
        if (!isDate(e.expectedStart)) bad(at('expectedStart'), 'must be a real date YYYY-MM-DD');
        else if (isDate(e.joinedOn) && e.expectedStart < e.joinedOn) bad(at('expectedStart'), `${e.expectedStart} is before joinedOn ${e.joinedOn}`);
        else expectedStart = e.expectedStart;
      }
      if (problems.length === before) entries.push({ personCode, status, position, joinedOn: e.joinedOn as string, expectedStart });
    });
  }
  if (problems.length) fail();

  const sorted = [...entries].sort((a, b) => (a.personCode < b.personCode ? -1 : a.personCode > b.personCode ? 1 : 0));
  const content = {
    serviceType: body.serviceType, name: body.name, providerRegNo: body.providerRegNo ?? null, municipality,
    entries: sorted.map((e) => [e.personCode, e.status, e.position, e.joinedOn, e.expectedStart]),
  };
  return {
    queueId, serviceType: body.serviceType as string, name: body.name as string, providerRegNo: (body.providerRegNo as string | undefined) ?? null,
    municipality, asOf, entries, contentSha256: createHash('sha256').update(JSON.stringify(content)).digest('hex'),
  };
}
