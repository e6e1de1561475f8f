/**
 * Group commit for audit rows. The chain allows one writer at a time (each row hashes the one
 * before it, under a PostgreSQL advisory lock), so one transaction per query would cap the query
 * API at one lock round trip per answer. Instead, entries that arrive while a write is in flight
 * wait for it and then go together in one transaction; an entry that finds no write in flight goes
 * at once, so a quiet hub adds no delay. Each caller's promise settles when its own row is
 * committed, or rejects with the batch, and then the caller must not answer (no audit row, no answer).
 *
 * The writer remembers the head it wrote last and appends the next batch after it in one statement
 * (appendAuditAfter: one round trip instead of five); only when another process wrote in between
 * does a batch take the locked transaction that reads the head first.
 */
import { appendAuditAfter, appendAuditBatch, type AuditEntry, type ChainHead, type Db } from '../../store/index.ts';

interface Pending { entry: AuditEntry; resolve(): void; reject(e: unknown): void }

export class AuditWriter {
  private queue: Pending[] = [];
  private writing = false;
  /** The chain's last row as this writer wrote it; unknown until its first batch. */
  private head: ChainHead | null = null;

  /** @param maxBatch rows per transaction. @defaultValue 256 */
  constructor(private readonly db: Db, private readonly maxBatch = 256) {}

  append(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /**
   * Several rows that belong together (a request's calls and its answer): queued at once, so they go
   * in one transaction when no write is in flight, and settle together.
   */
  appendAll(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const settled = entries.map((entry) => new Promise<void>((resolve, reject) => { this.queue.push({ entry, resolve, reject }); }));
    if (!this.writing) void this.drain();
    return Promise.all(settled).then(() => undefined);
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const entries = batch.map((p) => p.entry);
        // null: another writer moved the chain on since this one's last batch.
        const written = (this.head ? await appendAuditAfter(this.db, this.head, entries) : null) ?? await appendAuditBatch(this.db, entries);
        this.head = written[written.length - 1];
        for (const p of batch) p.resolve();
      } catch (e) {
        // What the chain holds after a failure is unknown: the next batch reads it.
        this.head = null;
        for (const p of batch) p.reject(e);
      }
    }
    this.writing = false;
  }
}
