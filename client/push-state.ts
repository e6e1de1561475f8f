/**
 * What `load push` remembers between runs, so that a run stopped half-way (Ctrl-C, kill, a lost
 * connection) resumes the same load instead of starting a second one: the load id, the batches as
 * they were split (sha256 each, so a changed split is noticed before it could meet a 409), which of
 * them the hub has acknowledged, and whether the load was committed.
 *
 * Written after every acknowledgement, to a temporary file renamed over the old one: a kill at
 * any moment leaves either the previous state or the new one, never half a file. A batch the hub
 * stored but whose answer was lost is simply sent again and answered 200.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface BatchPlanEntry {
  seq: number;
  sha256: string;
  bytes: number;
  records: number;
}

export interface PushState {
  version: 1;
  url: string;
  source: string;
  municipality: string;
  period: string;
  files: { path: string; sha256: string; bytes: number }[];
  maxBytes: number;
  loadId: string;
  batches: BatchPlanEntry[];
  acknowledged: number[];
  committed: boolean;
  updatedAt: string;
}

/** `.spolis-push/<sha256 of source, municipality, period and the files' sha256s>.json` under `cwd`. */
export function defaultStatePath(cwd: string, load: { source: string; municipality: string; period: string }, fileShas: string[]): string {
  const key = createHash('sha256').update([load.source, load.municipality, load.period, ...fileShas].join('\n')).digest('hex');
  return join(resolve(cwd), '.spolis-push', `${key}.json`);
}

export function readState(path: string): PushState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const s = JSON.parse(text) as PushState;
  if (s.version !== 1 || typeof s.loadId !== 'string' || !Array.isArray(s.acknowledged)) throw new Error(`${path} is not a load push state file`);
  return s;
}

export function writeState(path: string, s: PushState): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...s, updatedAt: new Date().toISOString() }, null, 1));
  renameSync(tmp, path);
}

/** Why a saved state cannot be resumed with this split, or undefined when it can. */
export function stateMismatch(s: PushState, want: { source: string; municipality: string; period: string; batches: BatchPlanEntry[] }): string | undefined {
  if (s.source !== want.source || s.municipality !== want.municipality || s.period !== want.period) {
    return `it is for ${s.source} ${s.municipality} ${s.period}`;
  }
  if (s.batches.length !== want.batches.length || s.batches.some((b, i) => b.sha256 !== want.batches[i].sha256)) {
    return `the files split into other batches then (${s.batches.length} batches of at most ${s.maxBytes} bytes; now ${want.batches.length})`;
  }
  return undefined;
}
