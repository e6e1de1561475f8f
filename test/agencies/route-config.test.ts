import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintConfig } from '../../engine/config/loader.ts';
import { builtinRegistry } from '../../app/components.ts';

/** The bundled routes with some files edited; the problems `routes lint` reports for them. */
function lint(edits: Record<string, (text: string) => string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'spolis-flow-routes-'));
  try {
    cpSync('routes', dir, { recursive: true });
    for (const [file, edit] of Object.entries(edits)) writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
    return lintConfig(dir, builtinRegistry());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('flow routes (schedule, soap, http) and their load-time checks', () => {
  it('loads the bundled pull, push and co-participation routes', () => {
    assert.deepEqual(lint({}), []);
  });

  it('names a misspelled delivery, a cron that does not parse, and a step that cannot take the trigger\'s messages', () => {
    const p = lint({
      'burvis-profiles-pull.yaml': (t) => t.replace('deliver: [sopa/notify-profile', 'deliver: [sopa/notify-profil'),
      'vdeavk-opinions-pull.yaml': (t) => t.replace('cron: "*/15 * * * *"', 'cron: "*/15 * * *"'),
      'vdeavk-opinions-push.yaml': (t) => t.replace('to: spolis/store-opinions', 'deliver: burvis/submit-coparticipation'),
    });
    assert.equal(p.length, 3, p.join('\n'));
    assert.match(p[0], /burvis-profiles-pull\.yaml:\d+: steps\[0\]\.deliver\[0\]: unknown delivery "sopa\/notify-profil" \(did you mean "sopa\/notify-profile"\?\)/);
    assert.match(p[1], /vdeavk-opinions-pull\.yaml:3: from\.schedule\.cron: "\*\/15 \* \* \*" is not a cron expression/);
    assert.match(p[2], /vdeavk-opinions-push\.yaml:\d+: steps\[0\]\.deliver: burvis\/submit-coparticipation delivers burvis\.coparticipation, and this route's trigger produces vdeavk\.opinion/);
  });

  it('refuses an unknown SOAP operation, an HTTP path the hub does not serve, and bulk-load steps in a flow route', () => {
    const p = lint({
      'vdeavk-opinions-push.yaml': (t) => t.replace('operation: SubmitAssistantOpinions', 'operation: SubmitOpinions'),
      'burvis-coparticipation.yaml': (t) => t.replace('path: /api/v1/coparticipation', 'path: /api/v1/duties'),
      'burvis-profiles-push.yaml': (t) => t.replace('steps:\n', 'steps:\n  - validate: canonical/decision\n'),
    });
    const all = p.join('\n');
    assert.match(all, /vdeavk-opinions-push\.yaml:\d+: from\.soap: the hub serves no SOAP operation vdeavk\/SubmitOpinions; valid: burvis\/SubmitProfilingChanges, vdeavk\/SubmitAssistantOpinions/);
    assert.match(all, /burvis-coparticipation\.yaml:\d+: from\.http\.path: the hub has no HTTP intake at \/api\/v1\/duties; valid: \/api\/v1\/coparticipation/);
    assert.match(all, /burvis-profiles-push\.yaml:\d+: steps\[0\]: a soap route's steps are to: \(a store effect\) and deliver: \(queued deliveries\)/);
  });
});
