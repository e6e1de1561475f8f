/** A small client of the load API for tests. */
import assert from 'node:assert/strict';

export interface Reply<T = any> {
  status: number;
  body: T;
}

export async function call<T = any>(url: string, method: string, path: string, opts: { key?: string; json?: unknown; body?: Buffer | string; contentType?: string } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: BodyInit | undefined;
  if (opts.json !== undefined) { headers['content-type'] = 'application/json'; body = JSON.stringify(opts.json); }
  if (opts.body !== undefined) { headers['content-type'] = opts.contentType ?? 'application/xml'; body = opts.body as BodyInit; }
  const res = await fetch(url + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed as T };
}

/** Creates a load, PUTs the batches, commits, and waits until it is done or failed. */
export async function pushLoad(url: string, key: string, load: { source: string; municipality: string; period: string }, batches: (Buffer | string)[], contentType = 'application/xml'): Promise<any> {
  const created = await call(url, 'POST', '/api/v1/loads', { key, json: load });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  for (let i = 0; i < batches.length; i++) {
    const r = await call(url, 'PUT', `/api/v1/loads/${id}/batches/${i + 1}`, { key, body: batches[i], contentType });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  const c = await call(url, 'POST', `/api/v1/loads/${id}/commit`, { key, json: { batches: batches.length } });
  assert.equal(c.status, 202, JSON.stringify(c.body));
  return waitForLoad(url, key, id);
}

export async function waitForLoad(url: string, key: string, id: string, timeoutMs = 60_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(url, 'GET', `/api/v1/loads/${id}`, { key });
    if (r.body.status === 'done' || r.body.status === 'failed') return r.body;
    if (Date.now() > until) throw new Error(`load ${id} still ${r.body.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export async function allRejections(url: string, key: string, id: string): Promise<any[]> {
  const items: any[] = [];
  for (let offset = 0; ; offset += 500) {
    const r = await call(url, 'GET', `/api/v1/loads/${id}/rejections?offset=${offset}&limit=500`, { key });
    assert.equal(r.status, 200);
    items.push(...r.body.items);
    if (items.length >= r.body.total) return items;
  }
}
