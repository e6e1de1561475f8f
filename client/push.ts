/**
 * `spolis-hub load push`: sends a municipality's export files as one load (DESIGN.md §4). Splits
 * them into batches the hub accepts, creates the load, PUTs the batches (two in flight, retried),
 * commits, waits until the hub is done, and reports the totals and the rejections by code.
 *
 * Resumable: a state file remembers the load and the acknowledged batches, so the same command
 * run again after an interruption continues that load. The hub makes the rest safe: a batch sent
 * twice with the same bytes is answered 200 and stored once, and the split is deterministic.
 */
import type { Registry } from '../engine/components/registry.ts';
import { HubApiError, HubClient, sleep, type RetryPolicy } from './hub-client.ts';
import { planPush, PlanError, type PushPlan } from './push-plan.ts';
import { createProgress, type Progress } from './push-progress.ts';
import { defaultStatePath, readState, stateMismatch, writeState, type PushState } from './push-state.ts';

/** DESIGN.md §4 allows 4 MB (4 MiB) a batch; the margin keeps clear of the limit whatever a proxy adds. */
export const PUSH_MAX_BYTES = 4 * 1024 * 1024 - 64 * 1024;

export interface PushOptions {
  url: string;
  key: string;
  source: string;
  municipality: string;
  period: string;
  files: string[];
  maxBytes?: number;
  /** Default: `.spolis-push/<sha256 of source, municipality, period and the files' sha256s>.json` under cwd. */
  statePath?: string;
  cwd?: string;
  /** Batches in flight (default 2: the hub writes a load's batches in order anyway). */
  concurrency?: number;
  /** Stops the push; the state file keeps what was acknowledged, and a new run resumes. */
  signal?: AbortSignal;
  /** Called after each acknowledged batch (e.g. to stop a run half-way in a test). */
  onBatch?(e: { seq: number; status: number; acknowledged: number; total: number }): void;
  progress?: Progress;
  pollMs?: number;
  /** How long to wait for the hub to finish (default: as long as it takes). */
  waitTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** The hub's formats (app/components.ts builtinRegistry): the files are split and checked with them. */
  registry: Registry;
}

export interface LoadView {
  id: string; source: string; municipality: string; period: string; status: string; batches: number | null;
  records: { received: number; accepted: number; rejected: number };
  /** Batches the hub could not process (e.g. a record it could not read), with the reason. */
  failedBatches?: { seq: number; error: string }[];
  [more: string]: unknown;
}

export interface RejectionGroup {
  code: string;
  /** Rejected records carrying this code. */
  records: number;
  first: { batch: number; index: number; field: string; message: string; file?: string; record?: number };
}

export interface PushResult {
  load: LoadView;
  statePath: string;
  batches: number;
  /** Batches PUT in this run; `skipped`: acknowledged in an earlier run. */
  sent: number;
  skipped: number;
  resumed: boolean;
  rejections: RejectionGroup[];
  exitCode: 0 | 1;
}

export class PushInterrupted extends Error {
  constructor(readonly acknowledged: number, readonly total: number, readonly statePath: string) {
    super(acknowledged < total
      ? `interrupted with ${acknowledged} of ${total} batches acknowledged; run the same command again to resume (state: ${statePath})`
      : `interrupted while waiting: all ${total} batches are sent and the load is committed; run the same command again to wait for it (state: ${statePath})`);
  }
}

export { PlanError };

export async function pushLoad(o: PushOptions): Promise<PushResult> {
  const progress = o.progress ?? createProgress(process.stderr);
  const registry = o.registry;
  const format = registry.formatFor(o.source);
  if (!format) throw new PlanError(`no format for source "${o.source}"; valid: ${registry.sources().join(', ')}`);
  const maxBytes = o.maxBytes ?? PUSH_MAX_BYTES;

  const plan = planPush(format, o.files, { municipality: o.municipality, period: o.period, maxBytes }, (f) =>
    progress.note(`${f.path}: ${f.records} records, ${(f.bytes / 1_048_576).toFixed(1)} MB → ${f.batches} batch${f.batches === 1 ? '' : 'es'} (split and checked in ${f.ms} ms)`));
  const statePath = o.statePath ?? defaultStatePath(o.cwd ?? process.cwd(), o, plan.files.map((f) => f.sha256));
  const client = new HubClient(o.url, o.key, {
    retry: o.retry, signal: o.signal,
    onRetry: (what, problem, wait) => progress.note(`${what}: ${problem}; retrying in ${(wait / 1000).toFixed(1)} s`),
  });

  const { state, load: existing } = await openLoad(client, o, plan, statePath, maxBytes, progress);
  const resumed = existing !== undefined;
  let status = existing?.status ?? 'receiving';
  const acked = new Set(state.acknowledged);
  const skipped = acked.size;
  let sent = 0;
  if (status === 'receiving') {
    sent = await sendBatches(client, o, plan, state, acked, statePath, progress);
    status = sent < 0 ? 'committed' : status;
    if (status === 'receiving') {
      await client.call('POST', `/api/v1/loads/${state.loadId}/commit`, { json: { batches: plan.batches.length }, ok: [202] });
      progress.note(`committed load ${state.loadId} with ${plan.batches.length} batches; waiting for the hub`);
    }
    state.committed = true;
    writeState(statePath, state);
  } else {
    progress.note(`load ${state.loadId} is already ${status}; waiting for the hub`);
  }
  let load: LoadView;
  let rejections: RejectionGroup[];
  try {
    load = await waitForLoad(client, state.loadId, o);
    rejections = load.records.rejected > 0 ? await rejectionGroups(client, state.loadId, plan) : [];
  } catch (e) {
    // Stopped while waiting: everything is sent and committed; a new run goes straight to waiting.
    if (o.signal?.aborted) throw new PushInterrupted(plan.batches.length, plan.batches.length, statePath);
    throw e;
  }
  return {
    load, statePath, batches: plan.batches.length, sent: Math.max(0, sent), skipped, resumed, rejections,
    exitCode: load.status === 'done' ? 0 : 1,
  };
}

/** The load of an earlier run (when its state file says so and the hub still has it), or a new one. */
async function openLoad(client: HubClient, o: PushOptions, plan: PushPlan, statePath: string, maxBytes: number, progress: Progress): Promise<{ state: PushState; load?: LoadView }> {
  const saved = readState(statePath);
  if (saved) {
    const why = stateMismatch(saved, { ...o, batches: plan.batches });
    let load: LoadView | undefined;
    try {
      load = (await client.call<LoadView>('GET', `/api/v1/loads/${saved.loadId}`)).body;
    } catch (e) {
      if (!(e instanceof HubApiError && e.status === 404)) throw e;
      progress.note(`load ${saved.loadId} of ${statePath} is not on ${client.url}; starting a new load`);
    }
    if (load) {
      if (why && load.status === 'receiving') {
        throw new PlanError(`cannot resume load ${saved.loadId} with ${statePath}: ${why}. Run with the same files and options, or remove the state file to start a new load`);
      }
      progress.note(`resuming load ${saved.loadId} (${load.status}): ${saved.acknowledged.length} of ${saved.batches.length} batches acknowledged earlier`);
      return { state: saved, load };
    }
  }
  const created = await client.call<{ id: string }>('POST', '/api/v1/loads', { json: { source: o.source, municipality: o.municipality, period: o.period }, ok: [201] });
  const state: PushState = {
    version: 1, url: client.url, source: o.source, municipality: o.municipality, period: o.period, files: plan.files, maxBytes,
    loadId: created.body.id, batches: plan.batches.map(({ seq, sha256, bytes, records }) => ({ seq, sha256, bytes, records })),
    acknowledged: [], committed: false, updatedAt: '',
  };
  // Saved before the first PUT: from here on an interrupted run resumes this load.
  writeState(statePath, state);
  progress.note(`created load ${state.loadId} (state: ${statePath})`);
  return { state };
}

/**
 * PUTs the batches not yet acknowledged, `concurrency` at a time, saving the state after each.
 * Returns how many were sent, or -1 when the hub says the load takes no more batches (an earlier
 * run committed it but was stopped before it could say so in the state file).
 */
async function sendBatches(client: HubClient, o: PushOptions, plan: PushPlan, state: PushState, acked: Set<number>,
  statePath: string, progress: Progress): Promise<number> {
  const todo = plan.batches.filter((b) => !acked.has(b.seq));
  const sum = (bs: typeof plan.batches, k: 'bytes' | 'records'): number => bs.reduce((n, b) => n + b[k], 0);
  const prior = plan.batches.filter((b) => acked.has(b.seq));
  progress.start({ batches: plan.batches.length, bytes: sum(plan.batches, 'bytes'), records: plan.records },
    { batches: prior.length, bytes: sum(prior, 'bytes'), records: sum(prior, 'records') });
  let next = 0;
  let sent = 0;
  let closed = false;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < todo.length && !closed && !failed) {
      o.signal?.throwIfAborted();
      const b = todo[next++];
      let status: number;
      try {
        status = (await client.call('PUT', `/api/v1/loads/${state.loadId}/batches/${b.seq}`, { body: b.body, contentType: b.contentType, ok: [200, 202] })).status;
      } catch (e) {
        if (e instanceof HubApiError && e.code === 'HUB_ERR_LOAD_CLOSED') { closed = true; return; }
        failed = true;
        if (e instanceof HubApiError && e.code === 'HUB_ERR_BATCH_CONFLICT') {
          throw new Error(`${e.message}\nbatch ${b.seq} (${b.file}) differs from what this load already holds under that number: start a new load (remove ${statePath})`);
        }
        throw e;
      }
      acked.add(b.seq);
      sent++;
      state.acknowledged = [...acked].sort((x, y) => x - y);
      writeState(statePath, state);
      progress.batch(b.seq, status, b.bytes, b.records);
      o.onBatch?.({ seq: b.seq, status, acknowledged: acked.size, total: plan.batches.length });
    }
  };
  // allSettled: no request of this run may still be running (and writing the state) when it returns.
  const outcomes = await Promise.allSettled(Array.from({ length: Math.max(1, o.concurrency ?? 2) }, worker));
  progress.stop();
  if (o.signal?.aborted) throw new PushInterrupted(acked.size, plan.batches.length, statePath);
  const failure = outcomes.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  return closed ? -1 : sent;
}

async function waitForLoad(client: HubClient, id: string, o: PushOptions): Promise<LoadView> {
  const until = o.waitTimeoutMs === undefined ? Infinity : Date.now() + o.waitTimeoutMs;
  for (let wait = 100; ; wait = Math.min(o.pollMs ?? 1000, wait * 2)) {
    const load = (await client.call<LoadView>('GET', `/api/v1/loads/${id}`)).body;
    if (load.status === 'done' || load.status === 'failed') return load;
    if (Date.now() > until) throw new Error(`load ${id} is still ${load.status}; run the same command again to keep waiting`);
    await sleep(wait, o.signal);
  }
}

interface Rejection { batch: number; index: number; errors: { field: string; code: string; message: string }[] }

/** Every rejection, grouped by code in the order codes first appear; each group with its first record. */
async function rejectionGroups(client: HubClient, id: string, plan: PushPlan): Promise<RejectionGroup[]> {
  const groups = new Map<string, RejectionGroup>();
  for (let offset = 0; ; offset += 1000) {
    const page = (await client.call<{ total: number; items: Rejection[] }>('GET', `/api/v1/loads/${id}/rejections?offset=${offset}&limit=1000`)).body;
    for (const r of page.items) {
      const b = plan.batches[r.batch - 1];
      for (const code of new Set(r.errors.map((e) => e.code))) {
        const g = groups.get(code);
        if (g) { g.records++; continue; }
        const e = r.errors.find((x) => x.code === code)!;
        groups.set(code, { code, records: 1, first: { batch: r.batch, index: r.index, field: e.field, message: e.message, file: b?.file, record: b ? b.firstRecord + r.index : undefined } });
      }
    }
    if (page.items.length === 0 || offset + page.items.length >= page.total) break;
  }
  return [...groups.values()];
}

/** The lines `load push` prints on stdout: totals, then one line per rejection code. */
export function formatPushReport(r: PushResult): string {
  const { load } = r;
  const lines = [`load ${load.id} ${load.status}: received ${load.records.received}, accepted ${load.records.accepted}, rejected ${load.records.rejected}`
    + ` (${r.batches} batches; ${r.sent} sent now${r.skipped ? `, ${r.skipped} acknowledged earlier` : ''})`];
  for (const f of load.failedBatches ?? []) lines.push(`batch ${f.seq} failed: ${f.error}`);
  if (r.rejections.length) {
    lines.push('rejected records by code:');
    const w = Math.max(...r.rejections.map((g) => g.code.length));
    for (const g of r.rejections) {
      const f = g.first;
      const where = f.file !== undefined ? ` (${f.file} record ${f.record})` : '';
      lines.push(`  ${g.code.padEnd(w)} ${String(g.records).padStart(6)}  first: batch ${f.batch} #${f.index} ${f.field}: ${f.message}${where}`);
    }
    lines.push(`every rejection: GET /api/v1/loads/${load.id}/rejections?offset=0&limit=1000`);
  }
  return lines.join('\n') + '\n';
}

/** `spolis-hub load status ID`: the load as the hub reports it. */
export async function loadStatus(url: string, key: string, id: string): Promise<LoadView> {
  return (await new HubClient(url, key, { retry: { attempts: 3 } }).call<LoadView>('GET', `/api/v1/loads/${encodeURIComponent(id)}`)).body;
}
