/**
 * The directions between the rooms of the code, as each room's README states them. A file may
 * import its own room and the rooms listed for it, nothing else; the allowed graph itself has no
 * cycle, so the rooms stack in layers a newcomer can read from the bottom up.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(ROOT, p)).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Import { target: string; dynamic: boolean }

/** Relative imports of a file (static, re-exports and `import()`), resolved to paths from the repository root. */
function importsOf(file: string): Import[] {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const at = (spec: string): string => relative(ROOT, resolve(ROOT, dirname(file), spec));
  return [
    ...[...src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => ({ target: at(m[1]), dynamic: false })),
    ...[...src.matchAll(/^\s*import\s+'(\.[^']+)'/gm)].map((m) => ({ target: at(m[1]), dynamic: false })),
    ...[...src.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => ({ target: at(m[1]), dynamic: true })),
  ];
}

/**
 * The rooms and what each may import besides itself. `schemas/` (the contracts and the canonical
 * model) is open to all. Engine rooms are folders of engine/; `engine` alone is engine/index.ts,
 * the public entry for connectors and transformers.
 */
const ALLOWED: Record<string, string[]> = {
  'engine/core': [],
  'engine/xml': ['engine/core'],
  'engine/soap': ['engine/core', 'engine/xml'],
  'engine/components': ['engine/core', 'engine/xml', 'engine/soap', 'store'],
  'engine/validation': ['engine/core', 'engine/components'],
  'engine/config': ['engine/core', 'engine/components'],
  'engine/runtime': ['engine/core', 'engine/xml', 'engine/soap', 'engine/components', 'engine/validation', 'engine/config', 'store'],
  'engine/http': ['engine/core', 'engine/xml', 'engine/soap', 'engine/components', 'engine/validation', 'engine/config', 'engine/runtime', 'store'],
  'engine/simulators': ['engine/core', 'engine/xml', 'engine/soap', 'engine/components', 'engine/validation'],
  engine: ['engine/core', 'engine/xml', 'engine/soap', 'engine/components', 'engine/validation', 'engine/config', 'store'],
  store: [],
  transformers: ['engine'],
  connectors: ['engine', 'engine/simulators'],
  scheduler: ['engine'],
  client: ['engine/components'],
  // The portal's e-services: HTTP APIs and worker planners on the engine's rooms and the store.
  eservices: ['engine/core', 'engine/components', 'engine/validation', 'engine/config', 'engine/runtime', 'engine/http', 'engine/soap', 'store'],
  // The operators' console: its page, its JSON API over the runtime and the store.
  console: ['engine/core', 'engine/components', 'engine/config', 'engine/runtime', 'engine/http', 'engine/soap', 'store'],
  // The application assembles everything; `bench` only for `spolis-hub bench`, by import().
  app: ['engine', 'engine/core', 'engine/xml', 'engine/soap', 'engine/components', 'engine/validation', 'engine/config', 'engine/runtime', 'engine/http', 'store', 'connectors', 'transformers', 'scheduler', 'client', 'eservices', 'console', 'bench'],
};

function roomOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'engine') return parts.length === 2 ? 'engine' : `engine/${parts[1]}`;
  return parts[0];
}

/** Test and sandbox equipment: the simulators and what assembles them. */
const isSimulator = (path: string): boolean =>
  path.startsWith('engine/simulators/') || path === 'app/sandbox.ts' || /^connectors\/[^/]+\/(sandbox|simulator[\w-]*|notify-simulator)\.ts$/.test(path);

const PRODUCTION_ROOMS = ['engine', 'store', 'transformers', 'connectors', 'scheduler', 'client', 'eservices', 'console', 'app'];
const allFiles = PRODUCTION_ROOMS.flatMap(tsFiles);

describe('architecture: the rooms and their directions', () => {
  it('every import of every file goes to its own room, an allowed room, or schemas/', () => {
    const offenders: string[] = [];
    for (const f of allFiles) {
      const room = roomOf(f);
      for (const { target } of importsOf(f)) {
        const to = roomOf(target);
        if (to === room || to === 'schemas' || ALLOWED[room]?.includes(to)) continue;
        offenders.push(`${f} → ${target} (${room} may import: ${ALLOWED[room]?.join(', ') || 'nothing else'})`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('another room reaches an engine room only through the modules its README lists under "Entry"', () => {
    const entries = (room: string): string[] => {
      const text = readFileSync(join(ROOT, room, 'README.md'), 'utf8');
      const section = text.split(/^## /m).find((s) => s.startsWith('Entry')) ?? '';
      return [...section.matchAll(/`([\w.-]+\.ts)`/g)].map((m) => `${room}/${m[1]}`);
    };
    const offenders: string[] = [];
    for (const f of allFiles) {
      for (const { target } of importsOf(f)) {
        const to = roomOf(target);
        if (to === roomOf(f) || !to.startsWith('engine')) continue;
        if (!entries(to === 'engine' ? 'engine' : to).includes(target)) offenders.push(`${f} → ${target} (not an entry of ${to})`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('the allowed directions have no cycle: the rooms stack in layers', () => {
    const seen = new Set<string>(), onPath: string[] = [];
    const visit = (r: string): void => {
      if (onPath.includes(r)) assert.fail(`rooms in a cycle: ${[...onPath.slice(onPath.indexOf(r)), r].join(' → ')}`);
      if (seen.has(r)) return;
      onPath.push(r);
      for (const next of ALLOWED[r] ?? []) visit(next);
      onPath.pop();
      seen.add(r);
    };
    for (const r of Object.keys(ALLOWED)) visit(r);
  });

  it('every file of engine/ sits in a room; the folder itself holds only the public entry', () => {
    const loose = tsFiles('engine').filter((f) => f.split('/').length === 2 && f !== 'engine/index.ts');
    assert.deepEqual(loose, []);
    const unknown = tsFiles('engine').map(roomOf).filter((r) => !(r in ALLOWED));
    assert.deepEqual([...new Set(unknown)], []);
  });

  it('connectors, transformers and the scheduler reach the engine only through its entries', () => {
    const offenders = ['connectors', 'transformers', 'scheduler'].flatMap(tsFiles).flatMap((f) =>
      importsOf(f).filter(({ target }) => target.startsWith('engine/') && target !== 'engine/index.ts' && target !== 'engine/simulators/index.ts')
        .map(({ target }) => `${f} → ${target}`));
    assert.deepEqual(offenders, []);
  });

  it('a connector imports no other connector; only the application imports connectors and transformers', () => {
    const offenders = allFiles.flatMap((f) => importsOf(f).filter(({ target }) => {
      if (!/^(connectors|transformers)\//.test(target)) return false;
      if (f.startsWith('app/')) return false;
      return target.split('/').slice(0, 2).join('/') !== f.split('/').slice(0, 2).join('/');
    }).map(({ target }) => `${f} → ${target}`));
    assert.deepEqual(offenders, []);
  });

  it('production code never imports a simulator: only simulators, tests and the sandbox do', () => {
    const offenders = allFiles.filter((f) => !isSimulator(f)).flatMap((f) => importsOf(f)
      // The CLI loads the sandbox for `start --sandbox` and `sim generate` only, with import().
      .filter(({ target, dynamic }) => isSimulator(target) && !(f === 'app/cli.ts' && target === 'app/sandbox.ts' && dynamic))
      .map(({ target }) => `${f} → ${target}`));
    assert.deepEqual(offenders, []);
  });

  it('what a production process loads (app/cli.ts start, the prep threads) holds no simulator module', () => {
    const closure = (entry: string): Set<string> => {
      const seen = new Set<string>([entry]);
      for (const f of seen) for (const { target, dynamic } of importsOf(f)) if (!dynamic && target.endsWith('.ts')) seen.add(target);
      return seen;
    };
    for (const entry of ['app/cli.ts', 'app/prep-thread.ts']) {
      const loaded = [...closure(entry)];
      assert.ok(loaded.some((f) => f.startsWith('connectors/')), `${entry} loads the connectors`);
      assert.deepEqual(loaded.filter(isSimulator), [], `${entry} loads simulators`);
    }
  });

  it('each room says in a README what it is for, its public entry and what it may import', () => {
    const rooms = [...new Set(allFiles.map((f) => (f.startsWith('engine/') ? roomOf(f) : f.split('/')[0])))];
    const missing = rooms.filter((r) => !existsSync(join(ROOT, r, 'README.md')));
    assert.deepEqual(missing, []);
    for (const r of rooms.filter((x) => x.startsWith('engine/'))) {
      const text = readFileSync(join(ROOT, r, 'README.md'), 'utf8');
      for (const allowed of ALLOWED[r]) assert.match(text, new RegExp('`' + allowed + '/?`'), `${r}/README.md names ${allowed} among what it may import`);
    }
  });
});
