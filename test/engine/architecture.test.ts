import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(ROOT, p)).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file, resolved to paths from the repository root. */
function importsOf(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8');
  return [...src.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1])));
}

describe('architecture', () => {
  it('lets connectors, transformers and the scheduler reach the engine only through engine/index.ts', () => {
    const offenders: string[] = [];
    for (const dir of ['connectors', 'transformers', 'scheduler']) {
      for (const f of tsFiles(dir)) {
        for (const imp of importsOf(f)) {
          const top = imp.split('/')[0];
          // Its own folder: connectors/<partner>/ or transformers/<partner>/, or scheduler/ itself.
          const ownFolder = imp.startsWith(f.split('/').slice(0, dir === 'scheduler' ? 1 : 2).join('/') + '/');
          if (ownFolder) continue;
          if (imp !== 'engine/index.ts' && !imp.startsWith('schemas/')) offenders.push(`${f} imports ${imp} (${top})`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('imports connectors and transformers only from the registry of built-ins', () => {
    const importers = [...tsFiles('engine'), ...tsFiles('store'), ...tsFiles('scheduler')]
      .filter((f) => importsOf(f).some((i) => i.startsWith('connectors/') || i.startsWith('transformers/')));
    assert.deepEqual(importers, ['app/components.ts']);
  });

  it('keeps the store free of engine imports (engine imports store, not the reverse)', () => {
    const offenders = tsFiles('store').filter((f) => importsOf(f).some((i) => i.startsWith('engine/')));
    assert.deepEqual(offenders, []);
  });
});
