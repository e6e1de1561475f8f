#!/usr/bin/env node
// The compiled CLI (dist/, made by `npm run build`) when there is one: plain node, no compiler in
// the process. Otherwise the TypeScript sources through tsx, so a fresh clone needs no build step.
// dist/ is not rebuilt by itself: after changing the sources, run `npm run build` again (or delete dist/).
// `bench` always runs the sources: it is a development tool (test helpers, routes/, scripts/, tsx).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/app/cli.js', import.meta.url);
if (process.argv[2] !== 'bench' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  // register() covers this thread only; the prep threads take their loader from execArgv
  // (engine/runtime/prep-pool.ts), as under `node --import tsx`. An absolute URL: any working directory.
  process.execArgv.push('--import', import.meta.resolve('tsx'));
  await import('../app/cli.ts');
}
