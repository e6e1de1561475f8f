/**
 * The load receipt: what the hub received and did with a load (counts, the sha256 of every batch,
 * when), signed with the hub's key, so a municipality can prove what it delivered and what the
 * hub accepted, and anyone can check it with the certificate at GET /api/v1/certificate.
 */
import type { LoadRow, BatchSummary } from '../../store/index.ts';
import { signEnveloped, type SigningIdentity } from '../soap/signing.ts';

export const RECEIPT_NS = 'urn:lv:lm:spolis-hub:receipt:1';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function receiptXml(load: LoadRow, batches: BatchSummary[], issuedAt: Date, id: SigningIdentity): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<LoadReceipt xmlns="${RECEIPT_NS}" version="1.0">`,
    `<LoadId>${esc(load.id)}</LoadId>`,
    `<Source>${esc(load.source)}</Source>`,
    `<Municipality>${esc(load.municipality)}</Municipality>`,
    `<Period>${esc(load.period)}</Period>`,
    `<Status>${esc(load.status)}</Status>`,
    `<CreatedAt>${esc(load.createdAt)}</CreatedAt>`,
    `<FinishedAt>${esc(load.finishedAt ?? '')}</FinishedAt>`,
    `<Records received="${load.records.received}" accepted="${load.records.accepted}" rejected="${load.records.rejected}"/>`,
    '<Batches>',
    ...batches.map((b) => `<Batch seq="${b.seq}" sha256="${b.sha256}" bytes="${b.size}" records="${b.recordCount}" accepted="${b.accepted ?? 0}" rejected="${b.rejected ?? 0}" status="${b.status}"/>`),
    '</Batches>',
    `<IssuedAt>${issuedAt.toISOString()}</IssuedAt>`,
    '</LoadReceipt>',
  ];
  return signEnveloped(lines.join('\n'), id);
}
