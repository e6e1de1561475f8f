/**
 * What `load push` shows while it sends: on a terminal a cli-progress bar (bytes, records, rate,
 * batches, ETA) with notes printed above it; otherwise (a log file, CI, a pipe) one plain line per
 * batch, since a redrawn bar there is a mess of control characters.
 */
import cliProgress from 'cli-progress';

export interface Totals { batches: number; bytes: number; records: number }

export interface Progress {
  /** Sending starts; `done` is what earlier runs already had acknowledged. */
  start(total: Totals, done: Totals): void;
  /** A batch was acknowledged (202 stored, 200 already stored). */
  batch(seq: number, status: number, bytes: number, records: number): void;
  note(line: string): void;
  stop(): void;
}

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

const mb = (n: number): string => (n / 1_048_576).toFixed(1);

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, mode: ProgressMode = 'auto'): Progress {
  if (mode === 'none') return { start() {}, batch() {}, note() {}, stop() {} };
  const useBar = mode === 'bar' || (mode === 'auto' && stream.isTTY === true);
  let total: Totals = { batches: 0, bytes: 0, records: 0 };
  const done: Totals = { batches: 0, bytes: 0, records: 0 };
  // The rate counts this run only: batches skipped as acknowledged earlier took no time now.
  let startedAt = Date.now();
  let sentRecords = 0;
  const rate = (): number => Math.round(sentRecords / Math.max(0.001, (Date.now() - startedAt) / 1000));
  const payload = () => ({
    mb: mb(done.bytes), totalMb: mb(total.bytes), records: done.records, totalRecords: total.records,
    rate: rate(), batches: done.batches, totalBatches: total.batches,
  });

  if (!useBar) {
    const line = (s: string): void => { stream.write(s + '\n'); };
    return {
      start(t, already) {
        total = t; Object.assign(done, already); startedAt = Date.now();
        line(`sending ${t.batches - already.batches} of ${t.batches} batches (${mb(t.bytes - already.bytes)} of ${mb(t.bytes)} MB, ${t.records - already.records} records)`);
      },
      batch(seq, status, bytes, records) {
        done.batches++; done.bytes += bytes; done.records += records; sentRecords += records;
        const p = payload();
        line(`batch ${seq}/${total.batches} ${status === 202 ? 'stored' : 'already stored'}: ${records} records, ${mb(bytes)} MB`
          + ` | ${p.records}/${p.totalRecords} records, ${p.mb}/${p.totalMb} MB, ${p.rate} records/s`);
      },
      note: line,
      stop() {},
    };
  }

  const multi = new cliProgress.MultiBar({
    stream, hideCursor: true, clearOnComplete: false, etaBuffer: 8, fps: 5, barsize: 20,
    format: ' {bar} {percentage}% | {mb}/{totalMb} MB | {records}/{totalRecords} rec | {rate} rec/s | {batches}/{totalBatches} batches | ETA {eta_formatted}',
  }, cliProgress.Presets.shades_classic);
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(t, already) {
      total = t; Object.assign(done, already); startedAt = Date.now();
      bar = multi.create(Math.max(1, t.bytes), already.bytes, payload());
    },
    batch(_seq, _status, bytes, records) {
      done.batches++; done.bytes += bytes; done.records += records; sentRecords += records;
      bar?.update(done.bytes, payload());
    },
    note(s) { if (bar) multi.log(s + '\n'); else stream.write(s + '\n'); },
    stop() { if (bar) { multi.stop(); bar = undefined; } },
  };
}
