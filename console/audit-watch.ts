/**
 * The audit chain's verification state for the console. Verifying walks the whole chain (every
 * row's hash: tampering with an old row shows only so), which is too much work for every poll of
 * every console; so one walk runs at a time per process, in the background, at most every
 * `everyMs`, and on an operator's demand. The console shows the verdict with its age.
 */
import { verifyAudit, type AuditVerdict, type Db } from '../store/index.ts';
import type { Logger } from '../engine/core/logger.ts';

const FIRST_WAIT_MS = 2_000;

export interface AuditState {
  /** never: no walk finished yet in this process (one is running). */
  state: 'never' | 'verified' | 'broken' | 'error';
  verdict?: AuditVerdict;
  /** When the last walk finished, and how long it took. */
  verifiedAt?: string;
  tookMs?: number;
  running: boolean;
  /** Rows in the log now; rows beyond the verdict's were written since. */
  rowsNow: number;
  error?: string;
}

export class AuditWatch {
  private last?: { verdict?: AuditVerdict; at: number; tookMs: number; error?: string };
  private running?: Promise<void>;

  constructor(private readonly db: Db, private readonly logger: Logger, private readonly everyMs = 10 * 60_000) {}

  /** Runs a walk now unless one is running; resolves when that walk ends. */
  verify(): Promise<void> {
    this.running ??= (async () => {
      const t0 = Date.now();
      try {
        const verdict = await verifyAudit(this.db);
        this.last = { verdict, at: Date.now(), tookMs: Date.now() - t0 };
        if (!verdict.ok) this.logger.error({ seq: verdict.seq, problem: verdict.problem }, 'audit chain broken');
      } catch (e) {
        this.last = { at: Date.now(), tookMs: Date.now() - t0, error: (e as Error).message };
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** The state now; starts a background walk when the verdict is older than `everyMs`. */
  async state(): Promise<AuditState> {
    if (!this.running && (!this.last || Date.now() - this.last.at >= this.everyMs)) void this.verify();
    // The first view waits a little for the first walk: a log of ordinary size is verified by then.
    if (!this.last && this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, FIRST_WAIT_MS).unref())]);
    const rowsNow = Number((await this.db.query<{ n: string | null }>('SELECT max(seq)::text AS n FROM audit_log')).rows[0]?.n ?? 0);
    const l = this.last;
    if (!l) return { state: 'never', running: true, rowsNow };
    return {
      state: l.error ? 'error' : l.verdict!.ok ? 'verified' : 'broken',
      ...(l.verdict ? { verdict: l.verdict } : {}), ...(l.error ? { error: l.error } : {}),
      verifiedAt: new Date(l.at).toISOString(), tookMs: l.tookMs, running: this.running !== undefined, rowsNow,
    };
  }

  /** Waits for a walk in flight (closing the server). */
  async settle(): Promise<void> {
    await this.running;
  }
}
