/**
 * Complaints, applications and proposals (docs/partners/portal-complaints.md): what a person
 * submitted, under which registration number, and whether it reached the institution (the
 * delivery row it was planned with). The classifiers they are checked and counted against live in
 * schemas/classifiers/ and are read here, because the store never imports the engine.
 */
import { readFileSync } from 'node:fs';
import type { Db } from './db.ts';

export const SUBMISSION_KINDS = ['COMPLAINT', 'APPLICATION', 'PROPOSAL'] as const;
export type SubmissionKind = (typeof SUBMISSION_KINDS)[number];

export interface SubmissionTopic { code: string; name: string; nameEn: string }

export interface Institution {
  /** LM, VSAA, VDEAVK, VSAC, NVA, or a municipality's ATVK code (its social service). */
  id: string;
  kind: 'state' | 'municipality';
  name: string;
  nameEn: string;
  /** The registration code whose official e-address receives the submissions. */
  regNo: string;
  /** A made-up code that fails the register's check digit (institutions.json, $comment). */
  placeholder: boolean;
}

const readClassifier = <T>(file: string, key: string): T[] =>
  JSON.parse(readFileSync(new URL(`../schemas/classifiers/${file}`, import.meta.url), 'utf8'))[key] as T[];

let topicsCache: SubmissionTopic[] | undefined;
let institutionsCache: Map<string, Institution> | undefined;

/** schemas/classifiers/submission-topics.json, in its order. */
export const submissionTopics = (): SubmissionTopic[] => (topicsCache ??= readClassifier<SubmissionTopic>('submission-topics.json', 'topics'));

/** schemas/classifiers/institutions.json by id. */
export const institutions = (): Map<string, Institution> =>
  (institutionsCache ??= new Map(readClassifier<Institution>('institutions.json', 'institutions').map((i) => [i.id, i])));

/** "SP-2026-000123": the hub's registration number, six digits at least. */
export const registrationNumber = (year: number, n: number): string => `SP-${year}-${String(n).padStart(6, '0')}`;

export interface SubmissionAttachmentFacts { name: string; contentType: string; bytes: number; sha256: string }
export interface SubmissionContact { email?: string; phone?: string; address?: string }

export interface NewSubmission {
  registrationNumber: string;
  year: number;
  number: number;
  channel: string;
  requestId: string;
  contentSha256: string;
  personCode: string;
  kind: SubmissionKind;
  topic: string;
  institution: string;
  institutionRegNo: string;
  municipality?: string;
  text: string;
  contact?: SubmissionContact;
  attachments: SubmissionAttachmentFacts[];
  deliveryId: string;
  /** ISO instant. */
  receivedAt: string;
  /** YYYY-MM of receivedAt in Riga time. */
  period: string;
}

/** How far the submission got: pending until the e-address took it; failed when it ended dead or undeliverable. */
export type SubmissionDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface StoredSubmission {
  registrationNumber: string;
  kind: SubmissionKind;
  topic: string;
  institution: string;
  receivedAt: string;
  attachments: SubmissionAttachmentFacts[];
  delivery: { status: SubmissionDeliveryStatus; deliveredAt?: string };
  text?: string;
  contact?: SubmissionContact;
}

const TS = (c: string): string => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The submission an earlier request with this jti made, if any. */
export async function findSubmissionByRequest(db: Db, channel: string, requestId: string): Promise<{ registrationNumber: string; receivedAt: string; contentSha256: string } | undefined> {
  const r = await db.query<{ registration_number: string; received_at: string; content_sha256: string }>(
    `SELECT registration_number, ${TS('received_at')} AS received_at, content_sha256 FROM complaint_submission WHERE channel = $1 AND request_id = $2`,
    [channel, requestId]);
  const x = r.rows[0];
  return x && { registrationNumber: x.registration_number, receivedAt: x.received_at, contentSha256: x.content_sha256 };
}

/**
 * The year's next number, in `tx`. The counter row stays locked until `tx` ends, so concurrent
 * submissions wait for each other and a rollback returns the number.
 */
export async function nextSubmissionNumber(tx: Db, year: number): Promise<number> {
  const r = await tx.query<{ last_number: number }>(
    `INSERT INTO complaint_number (year, last_number) VALUES ($1, 1)
     ON CONFLICT (year) DO UPDATE SET last_number = complaint_number.last_number + 1 RETURNING last_number`, [year]);
  return Number(r.rows[0].last_number);
}

/** Stores a submission; false when its jti is taken (a repeat that raced this one), and nothing is stored. */
export async function insertSubmission(tx: Db, s: NewSubmission): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO complaint_submission (registration_number, year, number, channel, request_id, content_sha256, person_code, kind, topic,
       institution, institution_reg_no, municipality, text, contact, attachments, delivery_id, received_at, period)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb, $16, $17::timestamptz, $18)
     ON CONFLICT (channel, request_id) DO NOTHING`,
    [s.registrationNumber, s.year, s.number, s.channel, s.requestId, s.contentSha256, s.personCode, s.kind, s.topic,
      s.institution, s.institutionRegNo, s.municipality ?? null, s.text, s.contact ? JSON.stringify(s.contact) : null,
      JSON.stringify(s.attachments), s.deliveryId, s.receivedAt, s.period]);
  return (r.rowCount ?? 0) === 1;
}

const SELECT = `SELECT s.registration_number, s.kind, s.topic, s.institution, ${TS('s.received_at')} AS received_at, s.attachments,
    d.status AS delivery_status, ${TS('d.delivered_at')} AS delivered_at`;

type Row = Record<string, unknown>;

const deliveryOf = (x: Row): StoredSubmission['delivery'] => {
  // No row at all would be a delivery lost from the outbox: not delivered, and not silently pending.
  const s = x.delivery_status === 'delivered' ? 'delivered' : x.delivery_status === 'pending' ? 'pending' : 'failed';
  return { status: s, ...(s === 'delivered' && x.delivered_at ? { deliveredAt: x.delivered_at as string } : {}) };
};

const attachmentsOf = (v: unknown): SubmissionAttachmentFacts[] => (typeof v === 'string' ? JSON.parse(v) : v) as SubmissionAttachmentFacts[];

const toStored = (x: Row): StoredSubmission => ({
  registrationNumber: x.registration_number as string, kind: x.kind as SubmissionKind, topic: x.topic as string, institution: x.institution as string,
  receivedAt: x.received_at as string, attachments: attachmentsOf(x.attachments), delivery: deliveryOf(x),
});

/** A person's submissions, newest first, without their texts. */
export async function listSubmissions(db: Db, personCode: string): Promise<StoredSubmission[]> {
  const r = await db.query<Row>(
    `${SELECT} FROM complaint_submission s LEFT JOIN deliveries d ON d.id = s.delivery_id
     WHERE s.person_code = $1 ORDER BY s.received_at DESC, s.registration_number DESC`, [personCode]);
  return r.rows.map(toStored);
}

/** One of a person's submissions with its text and contact; undefined when it is not theirs. */
export async function getSubmission(db: Db, personCode: string, registrationNumber: string): Promise<StoredSubmission | undefined> {
  const r = await db.query<Row>(
    `${SELECT}, s.text, s.contact FROM complaint_submission s LEFT JOIN deliveries d ON d.id = s.delivery_id
     WHERE s.person_code = $1 AND s.registration_number = $2`, [personCode, registrationNumber]);
  const x = r.rows[0];
  if (!x) return undefined;
  const contact = typeof x.contact === 'string' ? JSON.parse(x.contact) : x.contact;
  return { ...toStored(x), text: x.text as string, ...(contact ? { contact: contact as SubmissionContact } : {}) };
}

export interface SubmissionFigures {
  total: number;
  byKind: Record<SubmissionKind, number>;
  /** Every topic of the classifier, zeros included, so each month has the same keys. */
  byTopic: Record<string, number>;
}

export interface SubmissionCounts extends SubmissionFigures {
  /** Institutions with at least one submission in the month, by id. */
  byInstitution: Record<string, SubmissionFigures & { name: string }>;
}

export const emptySubmissionFigures = (): SubmissionFigures => ({
  total: 0,
  byKind: Object.fromEntries(SUBMISSION_KINDS.map((k) => [k, 0])) as Record<SubmissionKind, number>,
  byTopic: Object.fromEntries(submissionTopics().map((t) => [t.code, 0])),
});

/**
 * How many submissions were received in the month (Riga time), by kind, topic and institution:
 * counts only, nothing of who or what. With `municipality`, only those concerning its social service.
 */
export async function submissionCounts(db: Db, period: string, municipality?: string): Promise<SubmissionCounts> {
  const r = await db.query<{ institution: string; kind: string; topic: string; n: number }>(
    `SELECT institution, kind, topic, count(*)::int AS n FROM complaint_submission
     WHERE period = $1 AND ($2::text IS NULL OR municipality = $2::text) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [period, municipality ?? null]);
  const out: SubmissionCounts = { ...emptySubmissionFigures(), byInstitution: {} };
  for (const x of r.rows) {
    const n = Number(x.n);
    const i = (out.byInstitution[x.institution] ??= { name: institutions().get(x.institution)?.name ?? x.institution, ...emptySubmissionFigures() });
    for (const f of [out, i]) {
      f.total += n;
      f.byKind[x.kind as SubmissionKind] += n;
      // A topic later removed from the classifier still counts, under its own code.
      f.byTopic[x.topic] = (f.byTopic[x.topic] ?? 0) + n;
    }
  }
  return out;
}
