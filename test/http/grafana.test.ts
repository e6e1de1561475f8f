/**
 * The Grafana dashboard of docs/grafana (issue 14): every metric, label and label value its
 * panels ask Prometheus for is one a running hub exports, so no panel stays empty for a typo or
 * a renamed metric; and the JSON has what Grafana needs to import it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KEYS, startTestHub, type TestHub } from '../helpers/hub.ts';
import { call, pushLoad } from '../helpers/api.ts';

interface Target { refId: string; expr: string; datasource?: { uid?: string } }
interface Panel { id: number; type: string; title: string; gridPos: { h: number; w: number; x: number; y: number }; datasource?: { type?: string; uid?: string }; targets?: Target[] }
interface Dashboard {
  uid: string; title: string; schemaVersion: number; panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid?: string } }[] };
}

const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana/spolis-hub.json', import.meta.url), 'utf8')) as Dashboard;
const DS = '${DS_PROMETHEUS}';

/** Counted only when the event happens (a route reload): /metrics declares them from the start, with no sample until then. */
const ONLY_DECLARED = new Set(['spolis_route_reloads_total']);
/** Labels Prometheus adds when it scrapes, or that every histogram bucket has. */
const SCRAPE_LABELS = new Set(['instance', 'job', 'le']);

/** The queries of the dashboard: every panel's targets and the template variables'. */
const exprs = (): { where: string; expr: string }[] => [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr }))),
  ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => ({ where: `variable $${v.name}`, expr: JSON.stringify(v.query) })),
];

const metricNames = (expr: string): string[] => [...new Set(expr.match(/\bspolis_[a-z0-9_]+\b/g) ?? [])];

interface Exposition { declared: Set<string>; samples: Map<string, { labels: Map<string, Set<string>> }> }

function parseMetrics(text: string): Exposition {
  const declared = new Set<string>();
  const samples = new Map<string, { labels: Map<string, Set<string>> }>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) { declared.add(type[1]); continue; }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!m || line.startsWith('#')) continue;
    const s = samples.get(m[1]) ?? samples.set(m[1], { labels: new Map() }).get(m[1])!;
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      (s.labels.get(l[1]) ?? s.labels.set(l[1], new Set()).get(l[1])!).add(l[2]);
    }
  }
  return { declared, samples };
}

describe('the Grafana dashboard (docs/grafana/spolis-hub.json)', function () {
  this.timeout(60_000);

  describe('has what Grafana needs to import it', () => {
    it('names itself and its schema', () => {
      assert.match(dashboard.uid, /^[a-zA-Z0-9_-]{1,40}$/);
      assert.ok(dashboard.title);
      assert.equal(typeof dashboard.schemaVersion, 'number');
      assert.ok(dashboard.schemaVersion >= 36, 'a schema Grafana 9 and later reads without migrating');
    });

    it('takes its Prometheus data source as the template variable DS_PROMETHEUS', () => {
      const ds = dashboard.templating.list.find((v) => v.name === 'DS_PROMETHEUS');
      assert.deepEqual(ds && { type: ds.type, query: ds.query }, { type: 'datasource', query: 'prometheus' });
      for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
        assert.equal(p.datasource?.uid, DS, `panel "${p.title}"`);
        for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, DS, `panel "${p.title}" ${t.refId}`);
      }
      for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) assert.equal(v.datasource?.uid, DS, `variable ${v.name}`);
    });

    it('lays out every panel on the 24-column grid without overlaps, each with unique id and queries', () => {
      const ids = new Set<number>();
      const cells = new Map<string, string>();
      for (const p of dashboard.panels) {
        assert.ok(Number.isInteger(p.id) && !ids.has(p.id), `panel "${p.title}": id ${p.id} is not unique`);
        ids.add(p.id);
        assert.ok(p.title, `panel ${p.id} has no title`);
        const g = p.gridPos;
        assert.ok(g && [g.h, g.w, g.x, g.y].every(Number.isInteger), `panel "${p.title}" has no gridPos`);
        assert.ok(g.x >= 0 && g.w >= 1 && g.x + g.w <= 24 && g.h >= 1 && g.y >= 0, `panel "${p.title}" is off the grid`);
        for (let y = g.y; y < g.y + g.h; y++) for (let x = g.x; x < g.x + g.w; x++) {
          const k = `${x},${y}`;
          assert.ok(!cells.has(k), `panels "${cells.get(k)}" and "${p.title}" overlap at ${k}`);
          cells.set(k, p.title);
        }
        if (p.type === 'row') continue;
        assert.ok(p.targets?.length, `panel "${p.title}" has no targets`);
        const refs = new Set(p.targets!.map((t) => t.refId));
        assert.equal(refs.size, p.targets!.length, `panel "${p.title}": refIds repeat`);
        for (const t of p.targets!) assert.ok(t.expr.trim(), `panel "${p.title}" ${t.refId} has no expr`);
      }
    });

    it('shows what the issue asks for', () => {
      const all = exprs().map((e) => e.expr).join('\n');
      for (const m of ['spolis_http_requests_total', 'spolis_batch_duration_seconds_bucket', 'spolis_records_total', 'spolis_queries_total', 'spolis_queue_jobs', 'spolis_process_cpu_user_seconds_total', 'spolis_process_resident_memory_bytes']) {
        assert.ok(all.includes(m), `no panel shows ${m}`);
      }
    });
  });

  describe('asks only for what a running hub exports', () => {
    let t: TestHub;
    let metrics: Exposition;

    before(async () => {
      t = await startTestHub({ defaultMetrics: true });
      // A small load with one rejected record, and one query the hub refuses: the counters get samples.
      const xml = readFileSync(new URL('../fixtures/sopa-batch.xml', import.meta.url), 'utf8');
      const load = await pushLoad(t.url, KEYS['sopa-riga'], { source: 'sopa', municipality: '0001000', period: '2026-10' },
        [xml.replace('<PersonasKods>05091515731</PersonasKods>', '<PersonasKods>05091515730</PersonasKods>')]);
      assert.equal(load.status, 'done');
      assert.ok(load.records.rejected > 0 && load.records.accepted > 0, JSON.stringify(load.records));
      assert.equal((await call(t.url, 'POST', '/api/v1/query/vsaa-ep50', { key: KEYS['sopa-riga'], json: { purpose: 'x' } })).status, 400);
      const r = await fetch(`${t.url}/metrics`);
      assert.equal(r.status, 200);
      metrics = parseMetrics(await r.text());
    });
    after(async () => { await t?.stop(); });

    it('every metric a panel or variable names is in /metrics, with samples once the hub has worked', () => {
      const problems: string[] = [];
      for (const { where, expr } of exprs()) {
        const names = metricNames(expr);
        if (!names.length) problems.push(`${where}: names no spolis_ metric`);
        for (const n of names) {
          if (metrics.samples.has(n)) continue;
          const family = n.replace(/_(bucket|sum|count)$/, '');
          if (ONLY_DECLARED.has(n) && metrics.declared.has(family)) continue;
          problems.push(`${where}: ${n} is not in the hub's /metrics`);
        }
      }
      assert.deepEqual(problems, []);
    });

    it('every label a query groups or filters by, and every exact label value, is one the metric has', () => {
      const problems: string[] = [];
      for (const { where, expr } of exprs()) {
        for (const sel of expr.matchAll(/\b(spolis_[a-z0-9_]+)\s*\{([^}]*)\}/g)) {
          const s = metrics.samples.get(sel[1]);
          if (!s) continue;
          for (const m of sel[2].matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
            if (SCRAPE_LABELS.has(m[1])) continue;
            if (!s.labels.has(m[1])) problems.push(`${where}: ${sel[1]} has no label ${m[1]}`);
            else if (m[2] === '=' && !s.labels.get(m[1])!.has(m[3])) problems.push(`${where}: ${sel[1]}{${m[1]}="${m[3]}"} has no sample (values: ${[...s.labels.get(m[1])!].join(', ')})`);
          }
        }
        for (const by of expr.matchAll(/\bby\s*\(([^)]*)\)\s*\(([^]*?)\bspolis_([a-z0-9_]+)/g)) {
          const s = metrics.samples.get(`spolis_${by[3]}`);
          if (!s) continue;
          for (const label of by[1].split(',').map((x) => x.trim()).filter(Boolean)) {
            if (!SCRAPE_LABELS.has(label) && !s.labels.has(label)) problems.push(`${where}: spolis_${by[3]} has no label ${label} to group by`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });
  });
});
