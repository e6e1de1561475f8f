/**
 * The compiled hub as a deployment runs it: built by scripts/build.mjs into a directory of its own
 * (never the working tree's dist/, which would change what `spolis-hub` runs for everyone else),
 * started as a separate process with plain node, and stopped with SIGTERM. Shared by
 * test/build/build.test.ts and bench/startup.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { hashKey } from '../../engine/http/auth.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A scratch directory inside the repository's node_modules: compiled modules import their
 * packages by name, and node finds them by walking up to /work/…/node_modules (from /tmp it could not).
 */
export function scratchDir(name: string): string {
  const base = join(ROOT, 'node_modules', '.cache');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${name}-`));
}

/** `npm run build -- --out DIR`; rejects with tsc's and the script's output. */
export function build(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--out', outDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => { output += d; });
    child.stderr!.on('data', (d) => { output += d; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build exited ${code}:\n${output}`))));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A copy of routes/ in which the given partners have the given keys (routes/partners.yaml ships with none). */
export function routesWithKeys(dir: string, keys: Record<string, string>): string {
  cpSync(join(ROOT, 'routes'), dir, { recursive: true });
  const file = join(dir, 'partners.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  for (const [id, key] of Object.entries(keys)) {
    const partners = doc.get('partners') as YAMLSeq<YAMLMap>;
    const p = partners.items.find((m) => m.get('id') === id);
    if (!p) throw new Error(`routes/partners.yaml has no partner ${id}`);
    p.set('keyHashes', [hashKey(key)]);
  }
  writeFileSync(file, doc.toString());
  return dir;
}

export interface HubProcess {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the first 200 of GET /ready. */
  readyMs: number;
  /** What the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then its exit code (null: killed after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Spawns `node <nodeArgs…>` (the caller chooses compiled or tsx) with `env` on top of a
 * copy of this process's environment without NODE_OPTIONS (so no loader of this process's leaks in),
 * and waits for /ready.
 */
export async function startHub(nodeArgs: string[], env: Record<string, string>, cwd: string, readyTimeoutMs = 60_000): Promise<HubProcess> {
  const inherited = { ...process.env };
  delete inherited.NODE_OPTIONS;
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, nodeArgs, { cwd, env: { ...inherited, LOG_LEVEL: 'warn', HUB_WATCH_ROUTES: '0', ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const hub: HubProcess = {
    child, url, readyMs: 0, output: () => out,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const bound = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(bound);
      return code;
    },
  };
  for (const until = Date.now() + readyTimeoutMs; ;) {
    if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode} before /ready:\n${out}`);
    try {
      if ((await fetch(`${url}/ready`)).ok) { hub.readyMs = performance.now() - t0; return hub; }
    } catch { /* not listening yet */ }
    if (Date.now() > until) { await hub.stop(); throw new Error(`hub not ready after ${readyTimeoutMs} ms:\n${out}`); }
    await new Promise((r) => setTimeout(r, 25));
  }
}
