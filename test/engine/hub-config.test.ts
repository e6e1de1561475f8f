import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Hub } from '../../app/hub.ts';
import { builtinRegistry } from '../../app/components.ts';
import { createLogger } from '../../engine/core/logger.ts';
import { ConfigError } from '../../engine/core/errors.ts';
import { REDIS_URL } from '../helpers/env.ts';
import { Writable } from 'node:stream';

describe('a broken route file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'spolis-routes-'));
    cpSync('routes', dir, { recursive: true });
    const f = join(dir, 'sopa-monthly-load.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace('transform: sopa/export-to-canonical', 'transform: sopa/export-to-canonicl'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is named with file, line and field by `spolis-hub routes lint`, which exits 1', () => {
    const r = spawnSync('npx', ['tsx', 'app/cli.ts', 'routes', 'lint'], { env: { ...process.env, HUB_CONFIG_DIR: dir }, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /sopa-monthly-load\.yaml:6: steps\[0\]\.transform: unknown transformer "sopa\/export-to-canonicl" \(did you mean "sopa\/export-to-canonical"\?\)/);
  });

  it('keeps the hub from starting, with the same message', async () => {
    const quiet = new Writable({ write(_c, _e, cb) { cb(); } });
    await assert.rejects(
      Hub.start({ configDir: dir, registry: builtinRegistry(), logger: createLogger({ destination: quiet }), databaseUrl: 'memory://', redisUrl: REDIS_URL, port: 0 }),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => /:6: steps\[0\]\.transform: unknown transformer/.test(p)),
    );
  });
});
