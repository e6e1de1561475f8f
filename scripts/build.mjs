#!/usr/bin/env node
/**
 * `npm run build [-- --out DIR]`: the hub compiled to JavaScript, runnable with plain `node` (no tsx).
 *
 * tsc (tsconfig.build.json) writes the modules to DIR (default dist/) in the sources' layout, with
 * `./x.ts` imports rewritten to `./x.js`. The code reads its data files relative to its own module
 * (`new URL('../../schemas/…', import.meta.url)`), so the build copies them beside the modules in the
 * same layout: every file under the compiled directories that is not TypeScript or Markdown
 * (schemas, classifiers, XSD/WSDL, SQL migrations, the console's static files), and the package's
 * name and version (the OpenAPI document reads them). It then checks that every such relative
 * reference in the output names something that exists, so an asset added outside those directories
 * fails the build instead of the first request that needs it.
 *
 * Plain JavaScript: it runs on a machine that has no tsx.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STAMP = 'build-info.json';

const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'dist') } } });
const out = resolve(values.out);

// Modules of deleted sources must not survive a rebuild; but never empty a directory this script did not make.
if (existsSync(out) && readdirSync(out).length && !existsSync(join(out, STAMP))) {
  fail(`${out} is not empty and has no ${STAMP}: not a build output, refusing to replace it`);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, STAMP), '{"building": true}\n');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
if (compiled.status !== 0) fail(`tsc failed (exit ${compiled.status ?? compiled.signal})`);

const modules = walk(out).length - 1; // all but the stamp: tsc writes only modules
const { include } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
for (const dir of include) cpSync(join(ROOT, dir), join(out, dir), { recursive: true, filter: (src) => !/\.(ts|md)$/.test(src) });
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
writeFileSync(join(out, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module' }, null, 2) + '\n');

const missing = checkRelativeAssets(out);
if (missing.length) fail(`the compiled code reads files the build did not copy:\n${missing.join('\n')}`);

writeFileSync(join(out, STAMP), JSON.stringify({ version: pkg.version, builtAt: new Date().toISOString(), node: process.version }, null, 2) + '\n');
const files = walk(out).length;
process.stdout.write(`built ${relative(process.cwd(), out) || '.'}: ${modules} modules, ${files - modules - 1} data files; run: node ${relative(process.cwd(), join(out, 'app', 'cli.js'))} start\n`);

/** `new URL('<literal>', import.meta.url)` in the output: the literal part (before any `${`) must exist. */
function checkRelativeAssets(dir) {
  const problems = [];
  for (const file of walk(dir).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new URL\((['`])([^'`]*?)\1\s*,\s*import\.meta\.url\)/g)) {
      const literal = m[2].split('${')[0];
      if (!literal.startsWith('.')) continue;
      // A template names a file by a variable part: its directory must exist. A module named by its
      // source (the prep thread's `./prep-thread.ts`) is loaded as the `.js` beside it (prep-pool.ts).
      const path = m[2].includes('${') ? literal.slice(0, literal.lastIndexOf('/') + 1) || './' : literal.replace(/\.ts$/, '.js');
      const target = fileURLToPath(new URL(path, pathToFileURL(file)));
      if (!existsSync(target)) problems.push(`  ${relative(out, file)}: ${m[2]} (${relative(out, target)} does not exist)`);
    }
  }
  return problems;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function fail(message) {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}
