import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareBatch } from '../../engine/pipeline.ts';
import { builtinRegistry } from '../../engine/builtins.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
const load = { loadId: 'l', source: 'sopa' as const, municipality: '0001000', period: '2026-10', createdAt: '2026-11-02T08:00:00.000Z' };
const run = (xml: string) => prepareBatch(builtinRegistry(), {
  routeId: 'sopa-monthly-load', source: 'sopa', load, contentType: 'application/xml', body: Buffer.from(xml),
  recordSteps: [{ transform: 'sopa/export-to-canonical' }, { validate: 'canonical/decision' }],
});

describe('record-level steps (prepareBatch)', () => {
  it('accepts the example and hands each record on with its canonical JSON and hash', () => {
    const p = run(EXAMPLE);
    assert.equal(p.records, 5);
    assert.equal(p.accepted.length, 5);
    for (const a of p.accepted) {
      assert.deepEqual(JSON.parse(a.json!), a.record);
      assert.match(a.hash!, /^[0-9a-f]{40}$/);
    }
  });

  it('lists the partner\'s own codes when a classifier value is unknown', () => {
    const p = run(EXAMPLE.replace('<Veids>MAJOKLA</Veids>', '<Veids>DZIVOKLIS</Veids>').replace('<Loma>CITA</Loma>', '<Loma>OTHER</Loma>'));
    const messages = p.rejected.flatMap((r) => r.errors.map((e) => `${e.code} ${e.field}: ${e.message}`));
    assert.equal(messages.length, 2);
    assert.match(messages.find((m) => m.includes('Veids'))!, /^CLASSIFIER Veids: .*"DZIVOKLIS".*valid: GMI, MAJOKLA, VESELIBAS, KRIZES, CITS$/);
    // OTHER is a canonical code, not a SOPA one: it must not slip through.
    assert.match(messages.find((m) => m.includes('Loma'))!, /^CLASSIFIER Loma: .*valid: PIRMA, CITA$/);
  });
});
