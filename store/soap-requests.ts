/**
 * The RequestIds the hub's SOAP endpoints have answered. Recorded in the effect's transaction, so
 * a repeat finds either nothing (the first never took effect: do it now) or the first answer.
 */
import type { Db } from './db.ts';

export interface SoapRequestRecord {
  requestSha256: string;
  count: number;
}

export async function findSoapRequest(db: Db, partnerId: string, requestId: string): Promise<SoapRequestRecord | undefined> {
  const r = await db.query<{ request_sha256: string; count: number }>(
    'SELECT request_sha256, count FROM soap_requests WHERE partner_id = $1 AND request_id = $2', [partnerId, requestId]);
  const x = r.rows[0];
  return x && { requestSha256: x.request_sha256, count: Number(x.count) };
}

/**
 * Records the request; false when another transaction recorded the same RequestId first (the
 * caller then rolls back its effect and answers from that record).
 */
export async function recordSoapRequest(db: Db, partnerId: string, requestId: string, operation: string, requestSha256: string, count: number): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO soap_requests (partner_id, request_id, operation, request_sha256, count) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [partnerId, requestId, operation, requestSha256, count]);
  return (r.rowCount ?? 0) === 1;
}
