/**
 * A small client of the hub's load API (DESIGN.md §4) for `load push` and `load status`: JSON in
 * and out, the partner key as a bearer token, and retries with backoff where a retry is safe to
 * make and can help (a network error, 5xx, 429). Every other answer is final and is thrown as a
 * HubApiError carrying the hub's {error: {code, message}}.
 */

export class HubApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first wait; each next one doubles, up to maxMs, with ±25% jitter so that clients spread out. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 500, maxMs: 15_000 };

export interface Reply<T> { status: number; body: T }

export interface HubClientOptions {
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Told about each retry (what failed, the wait), so that the operator sees why it is slow. */
  onRetry?(what: string, problem: string, waitMs: number): void;
}

/** Resolves after `ms`, or rejects at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class HubClient {
  private readonly retry: RetryPolicy;

  constructor(readonly url: string, private readonly key: string, private readonly opts: HubClientOptions = {}) {
    this.url = url.replace(/\/+$/, '');
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /**
   * One call, retried on network errors, 5xx and 429. `ok` lists the statuses that are answers;
   * any other is thrown. A PUT or a commit is safe to repeat (the hub answers 200 to a repeat);
   * a repeated create can leave an empty load behind, which is harmless.
   */
  async call<T>(method: string, path: string, opts: { json?: unknown; body?: Buffer; contentType?: string; ok?: number[] } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept: 'application/json' };
    let body: BodyInit | undefined;
    if (opts.json !== undefined) { headers['content-type'] = 'application/json'; body = JSON.stringify(opts.json); }
    if (opts.body !== undefined) { headers['content-type'] = opts.contentType ?? 'application/octet-stream'; body = opts.body as unknown as BodyInit; }
    const ok = opts.ok ?? [200, 201, 202];
    const what = `${method} ${path}`;
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      let status = 0;
      try {
        const res = await fetch(this.url + path, { method, headers, body, signal: this.opts.signal });
        const text = await res.text();
        status = res.status;
        let parsed: unknown = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON: keep the text */ }
        if (ok.includes(res.status)) return { status: res.status, body: parsed as T };
        const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
        problem = `${res.status} ${err?.code ?? ''} ${err?.message ?? String(text).slice(0, 200)}`.replace(/\s+/g, ' ').trim();
        if (res.status < 500 && res.status !== 429) throw new HubApiError(res.status, err?.code ?? `HTTP_${res.status}`, `${what}: ${problem}`);
      } catch (e) {
        if (e instanceof HubApiError || this.opts.signal?.aborted) throw e;
        if (!status) problem = `network error: ${describe(e)}`;
        else problem = `${status}: ${describe(e)}`;
      }
      if (attempt >= this.retry.attempts) throw new HubApiError(status, status ? `HTTP_${status}` : 'NETWORK', `${what}: ${problem} (gave up after ${attempt} tries)`);
      const wait = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      this.opts.onRetry?.(what, problem, Math.round(wait));
      await sleep(wait, this.opts.signal);
    }
  }
}

/** fetch hides the reason of a network failure in `cause` (ECONNREFUSED, ECONNRESET…). */
function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
