import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(ROOT, p)).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('error catalogue (docs/errors.md)', () => {
  const used = new Set(['engine', 'store', 'connectors', 'transformers', 'eservices', 'app'].flatMap(sources)
    .flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/'(HUB_ERR_[A-Z_]+)'/g)].map((m) => m[1])));
  const documented = [...readFileSync(join(ROOT, 'docs/errors.md'), 'utf8').matchAll(/^\| (HUB_ERR_[A-Z_]+) \|/gm)].map((m) => m[1]);

  it('documents every code the source uses', () => {
    assert.deepEqual([...used].filter((c) => !documented.includes(c)).sort(), []);
  });
  it('documents each code once and none that is no longer used', () => {
    assert.deepEqual(documented.filter((c, i) => documented.indexOf(c) !== i), []);
    assert.deepEqual(documented.filter((c) => !used.has(c)).sort(), []);
  });
});
