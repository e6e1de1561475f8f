/**
 * The operators' console: the page at `/` and its two assets under `/console/`, served by the hub
 * itself from console/static/ (no CDN, no build step), and the JSON API it reads (api.ts).
 *
 * The page is the same for everyone and holds no data: it asks for the operator's key, keeps it in
 * the tab's sessionStorage, and sends it as `Authorization: Bearer` to `/api/v1/ops/…`. Its
 * Content-Security-Policy admits only the hub's own script, style and API, so text from a partner
 * (an error message, a field name) can never run as script there.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { AuditWatch } from './audit-watch.ts';
import { registerOpsApi } from './api.ts';
import type { ConsoleDeps } from './views.ts';

export type { ConsoleDeps } from './views.ts';

const STATIC = new URL('./static/', import.meta.url);

const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/console/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export interface ConsoleOptions {
  /** How old the audit chain's verdict may get before the console walks the chain again (10 min). */
  auditEveryMs?: number;
}

export function registerConsole(app: FastifyInstance, deps: ConsoleDeps, opts: ConsoleOptions = {}): void {
  for (const [path, a] of Object.entries(ASSETS)) {
    // Read once: the files are part of the release, like the code.
    const body = readFileSync(new URL(a.file, STATIC));
    app.get(path, async (_req, reply) => reply
      .type(a.type)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      // A new release's page and script arrive together: revalidate rather than cache.
      .header('cache-control', 'no-cache')
      .send(body));
  }
  const audit = new AuditWatch(deps.store.db, deps.logger.child({ part: 'console' }), opts.auditEveryMs);
  registerOpsApi(app, deps, audit);
  app.addHook('onClose', async () => { await audit.settle(); });
}
