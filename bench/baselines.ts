/** The raw baselines the bulk bench compares the hub against, on the same data in the same run. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SaxesParser } from 'saxes';
import iconv from 'iconv-lite';
import { builtinRegistry } from '../app/components.ts';
import { copyValue } from '../store/decision-rows.ts';
import { createTestDatabase } from '../test/helpers/env.ts';
import { CpuMeter } from './cpu.ts';

/** Seconds to tokenize every XML batch with saxes (no objects built): the floor of any XML reader. */
export function tokenizeBaseline(batches: { body: Buffer; contentType: string }[]): number {
  const t0 = performance.now();
  let elements = 0;
  for (const b of batches) {
    const p = new SaxesParser({ xmlns: true });
    p.on('opentag', () => { elements++; });
    const text = /1257/.test(b.contentType) ? iconv.decode(b.body, 'windows-1257') : b.body.toString('utf8');
    p.write(text).close();
  }
  if (!elements) throw new Error('nothing tokenized');
  return (performance.now() - t0) / 1000;
}

/**
 * Seconds to COPY the same canonical rows into a table and build its key index: the floor of any
 * store write; and the CPU seconds it took (this process streaming the rows, and PostgreSQL).
 */
export async function copyBaseline(loads: { source: string; municipality: string; batches: Buffer[]; contentType: string }[]): Promise<{ seconds: number; cpu: Record<string, number> }> {
  const reg = builtinRegistry();
  const rows: string[] = [];
  const esc = copyValue;
  for (const l of loads) {
    const format = reg.formatFor(l.source)!;
    const transformer = reg.get('transformer', `${l.source}/export-to-canonical`)!;
    const load = { loadId: 'x', source: l.source as 'sopa', municipality: l.municipality, period: '2026-10', createdAt: new Date().toISOString() };
    l.batches.forEach((b, seq) => {
      const parsed = format.parse(b, l.contentType);
      parsed.records.forEach((r, i) => {
        if (r.errors?.length) return;
        const d = transformer.transform(r, { load, header: parsed.header });
        rows.push(`${d.municipality}\t${d.source}\t${d.kind}\t${esc(String(d.decisionId ?? ''))}\t${'month' in d ? esc(String(d.month)) : ''}\t${seq + 1}\t${i}\t${esc(JSON.stringify(d))}\n`);
      });
    });
  }
  const db = await createTestDatabase();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(`CREATE TABLE t (municipality text, source text, kind text, decision_id text, month text, batch_seq int, idx int, record jsonb)`);
    const meter = CpuMeter.start(['postgres'], () => [process.pid]);
    const t0 = performance.now();
    await pipeline(Readable.from(rows), c.query(copyFrom('COPY t FROM STDIN')));
    await c.query('CREATE INDEX ON t (municipality, source, kind, decision_id, month)');
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, cpu: meter.stop() };
  } finally {
    await c.end();
    await db.drop();
  }
}
