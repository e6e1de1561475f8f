/**
 * The body of a prep-pool thread: prepareBatch over a registry. The application's thread module
 * (app/prep-thread.ts) builds its registry and exports `threadPreparer(registry)` as its default.
 */
import { isHubError } from '../core/errors.ts';
import type { Registry } from '../components/registry.ts';
import { prepareBatch, type PrepareInput } from './pipeline.ts';
import type { PrepOutcome } from './prep-pool.ts';

/**
 * `null` is the pool's warm-up call: the module is loaded by then, which is all it asks. A
 * HubError comes back as data: thrown across the thread it would arrive as a plain Error, its code
 * and "not retryable" lost, and a batch the partner must correct would be retried for nothing.
 */
export function threadPreparer(registry: Registry): (input: PrepareInput | null) => PrepOutcome | null {
  return (input) => {
    if (input === null) return null;
    try {
      return { prepared: prepareBatch(registry, input) };
    } catch (e) {
      if (!isHubError(e)) throw e;
      return { error: { code: e.code, message: e.message, retryable: e.retryable, httpStatus: e.httpStatus, details: e.details } };
    }
  };
}
