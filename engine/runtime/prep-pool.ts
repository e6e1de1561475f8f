/**
 * Worker threads for the record-level steps. Parsing and validating a 4 MB batch is ~0.3 s of
 * synchronous CPU; on the main thread it would stall the writes of the previous batch, HTTP
 * requests and BullMQ's lock renewals. In threads, it overlaps them (piscina manages the pool).
 */
import { Piscina } from 'piscina';
import { availableParallelism } from 'node:os';
import type { PrepareFn, PrepareInput, Prepared } from './pipeline.ts';
import { HubError, type HubErrorDetails } from '../core/errors.ts';

/** What a thread answers: the prepared batch, or the HubError it raised, as plain data. */
export type PrepOutcome =
  | { prepared: Prepared }
  | { error: { code: string; message: string; retryable: boolean; httpStatus: number; details: HubErrorDetails } };

export interface PrepPool {
  prepare: PrepareFn;
  /**
   * Resolves once every thread has loaded the components. A worker takes jobs only after it:
   * a job held while its threads still load (a second or more on a busy machine) is a job that a
   * crash in that window would stall.
   */
  warm(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The module a thread loads, as this build has it. Callers name the source (`./prep-thread.ts`,
 * beside their own file); compiled (`npm run build`, plain node) that file is the `.js` beside it,
 * and tsc rewrites import specifiers only, not the strings given to `new URL`.
 */
function threadModuleUrl(threadModule: URL, compiled = import.meta.url.endsWith('.js')): URL {
  if (!compiled || !threadModule.pathname.endsWith('.ts')) return threadModule;
  const js = new URL(threadModule);
  js.pathname = js.pathname.replace(/\.ts$/, '.js');
  return js;
}

/**
 * `threadModule` is the module each thread loads: its default export is `threadPreparer(registry)`
 * over the application's components (app/prep-thread.ts). The engine names no components itself.
 */
export function createPrepPool(threadModule: URL, threads = Math.max(1, Math.min(4, availableParallelism() - 1))): PrepPool {
  const pool = new Piscina({
    filename: threadModuleUrl(threadModule).href,
    minThreads: threads,
    maxThreads: threads,
    // A thread holds one batch at a time (a 4 MB document and its records): bound its heap so
    // V8 collects instead of growing, and memory stays bounded by the batch, not the load.
    resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 },
    // tsx's loader flags reach the thread through execArgv, so it can import TypeScript; V8
    // flags (heap sizes) are not allowed in a Worker's execArgv, so they stay behind.
    execArgv: process.execArgv.filter((a, i, all) => /^--(import|require|loader|experimental-loader)\b/.test(a) || /^--(import|require|loader|experimental-loader)$/.test(all[i - 1] ?? '')),
  });
  return {
    prepare: async (input: PrepareInput) => {
      const out = await pool.run(input) as PrepOutcome;
      if ('error' in out) {
        const e = out.error;
        throw new HubError(e.code, e.message, { retryable: e.retryable, httpStatus: e.httpStatus, details: e.details });
      }
      return out.prepared;
    },
    warm: async () => { await Promise.all(Array.from({ length: threads }, () => pool.run(null))); },
    close: () => pool.destroy(),
  };
}
