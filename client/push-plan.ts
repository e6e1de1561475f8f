/**
 * Turns the files of a `load push` into the batches of one load: each file is split by its
 * format's `split` (on record boundaries, each part with its own header and count) and every part is
 * read back with the format's own `inspect`, the check the hub makes on a PUT, so that a file the
 * hub would refuse (malformed, cut, another municipality or month) is refused here, before a load
 * exists. Batches are numbered across the files in the order given.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { FormatSpec } from '../engine/components/specs.ts';
import type { BatchPlanEntry } from './push-state.ts';

export interface PlannedBatch extends BatchPlanEntry {
  body: Buffer;
  contentType: string;
  file: string;
  /** 0-based position in its file of the batch's first record, to point a rejection back at the file. */
  firstRecord: number;
}

export interface PushPlan {
  files: { path: string; sha256: string; bytes: number }[];
  batches: PlannedBatch[];
  records: number;
  bytes: number;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The format's content type, with the charset the document declares (LIETIS: windows-1257). */
function contentTypeOf(format: FormatSpec, body: Buffer): string {
  const base = format.contentTypes[0];
  if (!base.includes('xml')) return base;
  const declared = /^<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(body.subarray(0, 256).toString('latin1').replace(/^\xEF\xBB\xBF/, ''))?.[1];
  return declared ? `${base}; charset=${declared.toLowerCase()}` : base;
}

export class PlanError extends Error {}

export function planPush(format: FormatSpec, files: string[], want: { municipality: string; period: string; maxBytes: number },
  onFile?: (f: { path: string; batches: number; records: number; bytes: number; ms: number }) => void): PushPlan {
  if (!format.split) throw new PlanError(`the ${format.source} format cannot split documents`);
  const plan: PushPlan = { files: [], batches: [], records: 0, bytes: 0 };
  for (const path of files) {
    const started = Date.now();
    // One copy of the file and one of its parts: Buffers live outside the JS heap, and the file's
    // own buffer is garbage as soon as its parts exist (unless it fits whole and is its only part).
    const body = readFileSync(path);
    plan.files.push({ path, sha256: sha256(body), bytes: body.length });
    const name = basename(path);
    let parts: Buffer[];
    try {
      parts = format.split(body, want.maxBytes);
    } catch (e) {
      throw new PlanError(`${name}: ${(e as Error).message}`);
    }
    let first = 0;
    parts.forEach((part, i) => {
      const contentType = contentTypeOf(format, part);
      let header: { municipality: string; period: string };
      let records: number;
      try {
        const r = format.inspect(part, contentType);
        header = r.header;
        records = r.recordCount;
      } catch (e) {
        throw new PlanError(`${name}${parts.length > 1 ? ` (part ${i + 1} of ${parts.length})` : ''}: ${(e as Error).message}`);
      }
      if (header.municipality !== want.municipality) throw new PlanError(`${name} is for municipality ${header.municipality}, not ${want.municipality}`);
      if (header.period !== want.period) throw new PlanError(`${name} is for period ${header.period}, not ${want.period}`);
      plan.batches.push({ seq: plan.batches.length + 1, sha256: sha256(part), bytes: part.length, records, body: part, contentType, file: name, firstRecord: first });
      first += records;
    });
    plan.records += first;
    plan.bytes += body.length;
    onFile?.({ path, batches: parts.length, records: first, bytes: body.length, ms: Date.now() - started });
  }
  return plan;
}
