import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareBatch } from '../../engine/runtime/pipeline.ts';
import { builtinRegistry } from '../../app/components.ts';
import { createHash } from 'node:crypto';
import type { DecisionRows } from '../../store/index.ts';

const EXAMPLE = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
const load = { loadId: 'l', source: 'sopa' as const, municipality: '0001000', period: '2026-10', createdAt: '2026-11-02T08:00:00.000Z' };
const run = (xml: string, batchSteps: string[] = ['spolis/upsert-decisions']) => prepareBatch(builtinRegistry(), {
  routeId: 'sopa-monthly-load', source: 'sopa', load, contentType: 'application/xml', body: Buffer.from(xml),
  recordSteps: [{ transform: 'sopa/export-to-canonical' }, { validate: 'canonical/decision' }],
  batchSteps, batchSeq: 1, receivedAt: '2026-11-03T10:00:00.000Z',
});

describe('record-level steps (prepareBatch)', () => {
  it('accepts the example and encodes it for the store in the thread: a COPY line per record with its canonical JSON and hash', () => {
    const p = run(EXAMPLE);
    assert.equal(p.records, 5);
    assert.equal(p.acceptedCount, 5);
    assert.equal(p.accepted, undefined, 'no record objects cross from the thread when every batch step encodes');
    const rows = p.encoded['spolis/upsert-decisions'] as DecisionRows;
    const lines = rows.kinds.flatMap((k) => Buffer.from(k.copy).toString('utf8').split('\n').filter(Boolean));
    assert.equal(lines.length, 5);
    const records = new Set(rows.kinds.flatMap((k) => k.index));
    assert.deepEqual([...records].sort(), [0, 1, 2, 3, 4]);
    for (const line of lines) {
      // …, record, content_hash, load_id, batch_seq, idx
      const f = line.split('\t');
      const json = f[f.length - 5].replace(/\\\\/g, '\\');
      assert.equal(JSON.parse(json).municipality, '0001000');
      assert.equal(f[f.length - 4], createHash('sha1').update(json).digest('hex'));
      assert.deepEqual(f.slice(-3, -1), ['l', '1']);
    }
  });

  it('hands the records themselves to a batch step that does not encode', () => {
    const p = run(EXAMPLE, []);
    assert.equal(p.accepted!.length, 5);
    assert.deepEqual(p.encoded, {});
    assert.equal(p.accepted![0].record.municipality, '0001000');
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
