// The operators' console: a small module served by the hub (no framework, no build step).
// It reads /api/v1/ops/* with the operator's key and draws everything with DOM calls:
// nothing the hub answers is ever parsed as HTML, so a partner's text cannot become markup.
//
// Live by polling: every 5 s while the tab is visible (every second for half a minute after an
// operator acts), the 24-hour chart every minute. Not Server-Sent Events: EventSource cannot send
// an Authorization header, and a key in a URL ends up in logs; and a poll is an ordinary request
// that any hub process behind a load balancer answers.

const KEY = 'spolis.operatorKey';
const POLL_MS = 5_000;
const FAST_MS = 1_000;
const SERIES_MS = 60_000;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

const n = (x) => (x === null || x === undefined ? '—' : Number(x).toLocaleString('en-GB'));
const pct = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(r < 0.01 && r > 0 ? 2 : 1)} %`);
const badge = (text, kind) => h('span', { class: `badge ${kind ?? text}` }, text);
const section = (title, id, ...body) => h('section', { class: 'card', id }, h('h2', {}, title), ...body);
const empty = (text) => h('p', { class: 'muted empty' }, text);

function ago(iso) {
  if (!iso) return '—';
  const ms = Date.now() - Date.parse(iso);
  const f = (v, u) => `${Math.round(v)} ${u}${Math.round(v) === 1 ? '' : 's'}`;
  const a = Math.abs(ms);
  const t = a < 60e3 ? f(a / 1e3, 'second') : a < 3600e3 ? f(a / 60e3, 'minute') : a < 86400e3 ? f(a / 3600e3, 'hour') : f(a / 86400e3, 'day');
  return ms >= 0 ? `${t} ago` : `in ${t}`;
}

// A time shown relatively ("3 minutes ago") that a ticker keeps current, with the instant on hover.
const when = (iso) => (iso ? h('time', { datetime: iso, title: new Date(iso).toLocaleString('en-GB') }, ago(iso)) : '—');
setInterval(() => { for (const t of document.querySelectorAll('time[datetime]')) t.textContent = ago(t.getAttribute('datetime')); }, 5_000);

function table(headers, rows, opts = {}) {
  if (!rows.length) return empty(opts.empty ?? 'Nothing here.');
  return h('div', { class: 'scroll' }, h('table', { class: opts.class },
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { class: /^(#|records|waiting|active|delayed|dead|pending|delivered|undeliverable|accepted|rejected|attempts|size|calls|failed)/i.test(x) ? 'num' : undefined }, x)))),
    h('tbody', {}, rows)));
}
const td = (content, cls) => h('td', { class: cls }, content);
const num = (x) => td(n(x), 'num');

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(path, opts = {}) {
  const key = sessionStorage.getItem(KEY) ?? '';
  const headers = { authorization: `Bearer ${key}` };
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: opts.method ?? 'GET', headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json), cache: 'no-store' });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON: a proxy's page */ }
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? `HTTP ${res.status}`, body?.error?.message ?? text.slice(0, 300));
  return body;
}

// ---------------------------------------------------------------- session

const state = { overview: null, series: null, seriesAt: 0, load: null, letters: null, problemsOnly: false, lastRender: '' };

function showLogin(error) {
  sessionStorage.removeItem(KEY);
  clearTimeout(timer);
  $('session').hidden = true;
  $('view').replaceChildren();
  $('notice').hidden = true;
  $('login').hidden = false;
  const e = $('login-error');
  e.hidden = !error;
  e.replaceChildren(...(error ? [h('strong', {}, `Refused (${error.status}): `), h('code', {}, error.code), ' ', error.message] : []));
  $('key').focus();
}

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    const me = await api('/api/v1/ops/whoami');
    $('who').textContent = `operator ${me.id}`;
    $('login').hidden = true;
    $('session').hidden = false;
    $('key').value = '';
    state.lastRender = '';
    await tick();
  } catch (e) {
    showLogin(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', e.message));
  }
}

function notice(text, kind) {
  const el = $('notice');
  el.className = `notice ${kind}`;
  el.replaceChildren(...[text].flat());
  el.hidden = false;
}

// ---------------------------------------------------------------- polling

let timer;
let fastUntil = 0;

function setLive(text, kind, title) {
  const el = $('live');
  el.textContent = text;
  el.className = `live ${kind ?? ''}`;
  if (title) el.title = title;
}

async function tick() {
  clearTimeout(timer);
  if (!sessionStorage.getItem(KEY)) return;
  if (document.hidden) { setLive('paused', 'paused', 'Paused while this tab is hidden'); return; }
  try {
    await refresh();
    setLive('live', 'ok', 'The console asks the hub every 5 seconds while this tab is visible');
    $('updated').replaceChildren('updated ', when(new Date().toISOString()));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) { showLogin(e); return; }
    setLive('no answer', 'error', e.message);
  }
  timer = setTimeout(tick, Date.now() < fastUntil ? FAST_MS : POLL_MS);
}

document.addEventListener('visibilitychange', () => { if (!document.hidden) void tick(); });
window.addEventListener('hashchange', () => { state.lastRender = ''; window.scrollTo(0, 0); void tick(); });
window.addEventListener('resize', () => { if (state.series && location.hash.replace(/^#\/?/, '') === '') drawCharts(); });

function route() {
  const p = location.hash.replace(/^#\/?/, '').split('/');
  if (p[0] === 'loads' && p[1]) return { view: 'load', id: decodeURIComponent(p[1]) };
  if (p[0] === 'dead-letters') return { view: 'letters' };
  return { view: 'overview' };
}

async function refresh() {
  const r = route();
  if (r.view === 'load') {
    state.load = await api(`/api/v1/ops/loads/${encodeURIComponent(r.id)}`);
    return render(() => loadPage(state.load), state.load);
  }
  if (r.view === 'letters') {
    state.letters = await api('/api/v1/ops/dead-letters?all=1&limit=200');
    return render(() => lettersPage(state.letters), state.letters);
  }
  const [o] = await Promise.all([
    api('/api/v1/ops/overview'),
    Date.now() - state.seriesAt > SERIES_MS || Date.now() < fastUntil
      ? api('/api/v1/ops/series?minutes=1440').then((x) => { state.series = x; state.seriesAt = Date.now(); }) : null,
  ]);
  state.overview = o;
  return render(() => overviewPage(o), { ...o, at: undefined, process: undefined, series: state.seriesAt, problems: state.problemsOnly });
}

// Rebuilds the view only when what it shows changed, so a poll does not take a button away
// from under the operator's pointer.
function render(build, data) {
  const sig = JSON.stringify(data);
  if (sig === state.lastRender) return;
  state.lastRender = sig;
  const y = window.scrollY;
  $('view').replaceChildren(build());
  window.scrollTo(0, y);
  if (route().view === 'overview') drawCharts();
}

// ---------------------------------------------------------------- actions

async function replay(letter, button) {
  button.disabled = true;
  try {
    const r = await api(`/api/v1/ops/dead-letters/${letter.id}/replay`, { method: 'POST' });
    notice([h('strong', {}, `Replayed dead letter #${r.replayed.id}`), ` (${describe(r.replayed)}): reopened, audited and queued again. This page follows it live.`], 'ok');
    fastUntil = Date.now() + 30_000;
    state.lastRender = '';
    await tick();
  } catch (e) {
    notice([h('strong', {}, 'Replay refused: '), h('code', {}, e.code ?? 'ERROR'), ' ', e.message], 'error');
    button.disabled = false;
  }
}

async function replayRoute(routeId, count, button) {
  if (!window.confirm(`Replay all ${count} open dead letter(s) of ${routeId}?`)) return;
  button.disabled = true;
  try {
    const r = await api('/api/v1/ops/dead-letters/replay', { method: 'POST', json: { route: routeId } });
    notice([h('strong', {}, `Replayed ${r.count} dead letter(s) of ${routeId}`), ': reopened, audited and queued again.'], 'ok');
    fastUntil = Date.now() + 30_000;
    state.lastRender = '';
    await tick();
  } catch (e) {
    notice([h('strong', {}, 'Replay refused: '), h('code', {}, e.code ?? 'ERROR'), ' ', e.message], 'error');
    button.disabled = false;
  }
}

async function verifyAudit(button) {
  button.disabled = true;
  button.textContent = 'Verifying…';
  try {
    await api('/api/v1/ops/audit/verify', { method: 'POST' });
    state.lastRender = '';
    await tick();
  } catch (e) {
    notice([h('strong', {}, 'Verification failed: '), e.message], 'error');
    button.disabled = false;
  }
}

const describe = (l) => (l.kind === 'delivery' ? `delivery ${l.deliveryId}` : `load ${l.loadId.slice(0, 8)}… batch ${l.seq}`);
const loadLink = (id, text) => h('a', { href: `#/loads/${encodeURIComponent(id)}` }, text ?? `${id.slice(0, 8)}…`);
const replayButton = (l) => (l.replayedAt
  ? h('span', { class: 'muted' }, 'replayed ', when(l.replayedAt))
  : h('button', { type: 'button', class: 'replay', dataset: { letter: String(l.id) }, onclick: (ev) => replay(l, ev.currentTarget) }, 'Replay'));

// ---------------------------------------------------------------- overview

function overviewPage(o) {
  return h('div', { class: 'page' },
    summary(o),
    section('Last 24 hours', 'chart', h('div', { id: 'charts' })),
    loadsCard(o),
    lettersCard(o),
    section('Queues', 'queues', table(['route', 'of', 'waiting', 'active', 'delayed (retrying)', 'dead letters'],
      o.queues.map((q) => h('tr', {}, td(q.route), td(q.kind), num(q.waiting), num(q.active), num(q.delayed), td(q.deadLetters ? badge(n(q.deadLetters), 'failed') : '0', 'num'))),
      { empty: 'No queues.' })),
    routesCard(o),
    section('Pulls', 'pulls', table(['route', 'partner', 'schedule', 'checkpoint: changes after', 'next page', 'pages', 'items', 'last page stored', 'next run'],
      o.pulls.map((p) => h('tr', {}, td(p.route), td(p.partner ?? '—'), td(h('code', {}, p.cron)),
        td(p.checkpoint ? when(p.checkpoint.since) : 'not pulled yet'), td(p.checkpoint?.cursor ? h('code', { title: p.checkpoint.cursor }, p.checkpoint.cursor.slice(0, 16)) : 'start of feed'),
        num(p.checkpoint?.pages ?? 0), num(p.checkpoint?.items ?? 0), td(when(p.lastPageAt)), td(when(p.nextRun)))),
      { empty: 'No scheduled pulls.' })),
    section('Deliveries', 'deliveries', table(['route', 'pending', 'failing now', 'delivered', 'delivered last hour', 'dead', 'undeliverable', 'last attempt'],
      o.deliveries.map((d) => h('tr', {}, td(d.route), num(d.pending), td(d.failingNow ? badge(n(d.failingNow), 'warn') : '0', 'num'), num(d.delivered), num(d.deliveredLastHour),
        td(d.dead ? badge(n(d.dead), 'failed') : '0', 'num'), num(d.undeliverable), td(when(d.lastRun)))),
      { empty: 'No deliveries yet.' })),
    partnersCard(o),
  );
}

function summary(o) {
  const a = o.audit;
  const auditBody = a.state === 'verified'
    ? [badge('verified', 'ok'), a.verdict.rows ? [` ${n(a.verdict.rows)} rows, head `, h('code', { title: a.verdict.head }, a.verdict.head.slice(0, 12))] : ' the log is empty', ', ', when(a.verifiedAt), ` (${n(a.tookMs)} ms)`,
      a.rowsNow > a.verdict.rows ? h('div', { class: 'muted' }, `${n(a.rowsNow - a.verdict.rows)} rows written since`) : null]
    : a.state === 'broken'
      ? [badge('BROKEN', 'failed'), ` at row ${n(a.verdict.seq)}: ${a.verdict.problem}`, h('div', { class: 'muted' }, `${n(a.verdict.rows)} rows before it verified, `, when(a.verifiedAt))]
      : a.state === 'error' ? [badge('not verified', 'warn'), ` ${a.error}`] : [badge('verifying…', 'pending'), ` ${n(a.rowsNow)} rows`];
  const c = o.hubCertificate;
  const totalLoads = Object.values(o.loads.counts).reduce((x, y) => x + y, 0);
  return h('div', { class: 'tiles' },
    h('div', { class: 'tile', id: 'tile-loads' }, h('h3', {}, 'Loads'), h('div', { class: 'big' }, n(totalLoads)),
      h('div', {}, ['processing', 'committed', 'receiving', 'failed', 'done'].filter((k) => o.loads.counts[k]).map((k) => [badge(`${k} ${n(o.loads.counts[k])}`, k), ' ']))),
    h('div', { class: 'tile', id: 'tile-letters' }, h('h3', {}, 'Dead letters'), h('div', { class: `big ${o.deadLetters.open ? 'bad' : ''}` }, n(o.deadLetters.open)),
      h('a', { href: '#/dead-letters' }, 'all dead letters, replayed ones too')),
    h('div', { class: `tile ${a.state === 'broken' ? 'alarm' : ''}`, id: 'tile-audit' }, h('h3', {}, 'Audit chain'), h('div', { id: 'audit-state' }, auditBody),
      h('button', { type: 'button', class: 'link', disabled: a.running, onclick: (ev) => verifyAudit(ev.currentTarget) }, a.running ? 'verifying…' : 'Verify now')),
    h('div', { class: 'tile' }, h('h3', {}, 'Hub signing certificate'), certCell(c)),
    h('div', { class: 'tile' }, h('h3', {}, 'This hub process'), h('div', {}, `pid ${o.process.pid}, up since `, when(o.process.startedAt)),
      h('div', { class: 'muted' }, `${n(o.process.httpRequests)} requests (${n(o.process.http5xx)} 5xx), ${n(o.process.batches)} batches`),
      o.redisError ? h('div', { class: 'bad' }, `Redis does not answer (${o.redisError}): queues and circuits unknown`) : null),
  );
}

function certCell(c) {
  if (!c) return '—';
  if (c.error) return h('span', { class: 'bad', title: c.error }, 'unreadable');
  const kind = c.daysLeft < 0 ? 'failed' : c.daysLeft < 30 ? 'warn' : 'ok';
  return h('span', { title: c.subject }, badge(c.daysLeft < 0 ? 'expired' : `${n(c.daysLeft)} days`, kind), ' ', new Date(c.validTo).toLocaleDateString('en-GB'));
}

function progress(b) {
  const total = Math.max(1, b.total);
  const bar = h('span', { class: 'bar', title: `${b.done} done, ${b.dead} dead, ${b.pending} pending of ${b.total}` },
    h('span', { class: 'done' }), h('span', { class: 'dead' }));
  // Widths through the CSSOM (the style-src policy forbids style attributes, not this).
  bar.children[0].style.width = `${(b.done / total) * 100}%`;
  bar.children[1].style.width = `${(b.dead / total) * 100}%`;
  return h('span', { class: 'progress' }, bar, ` ${b.done}/${b.total}`, b.dead ? h('span', { class: 'bad' }, ` (${b.dead} dead)`) : null);
}

function loadsCard(o) {
  const rows = o.loads.recent.filter((l) => !state.problemsOnly || l.status === 'failed' || l.batches.dead > 0).map((l) =>
    h('tr', { class: `load-row ${l.status}`, dataset: { load: l.id } },
      td(loadLink(l.id)), td(badge(l.status)), td(l.source), td(l.municipality), td(l.period), td(l.partnerId),
      td(progress(l.batches)), num(l.records.received), num(l.records.accepted), td(l.records.rejected ? h('span', { class: 'warn-text' }, n(l.records.rejected)) : '0', 'num'),
      td(when(l.createdAt))));
  return section('Loads', 'loads',
    h('label', { class: 'filter' }, h('input', { type: 'checkbox', checked: state.problemsOnly, onchange: (ev) => { state.problemsOnly = ev.currentTarget.checked; state.lastRender = ''; void tick(); } }),
      ' only loads that failed or hold a dead batch'),
    table(['load', 'status', 'source', 'municipality', 'period', 'partner', 'batches', 'records', 'accepted', 'rejected', 'created'], rows, { empty: 'No loads.' }));
}

function lettersCard(o) {
  const byRoute = {};
  for (const q of o.queues) if (q.deadLetters) byRoute[q.route] = q.deadLetters;
  return section('Open dead letters', 'letters',
    h('p', { class: 'muted' }, 'Work whose last attempt failed. Replay sends it back to its queue (as ', h('code', {}, 'spolis-hub dlq replay'), ' does), audited in your name.'),
    Object.keys(byRoute).length ? h('div', { class: 'actions' }, Object.entries(byRoute).map(([r, c]) =>
      h('button', { type: 'button', class: 'secondary', onclick: (ev) => replayRoute(r, c, ev.currentTarget) }, `Replay all ${c} of ${r}`))) : null,
    lettersTable(o.deadLetters.recent, 'No open dead letters.'));
}

function lettersTable(items, emptyText) {
  return table(['#', 'route', 'what', 'error', 'attempts', 'failed', ''], items.map((l) => h('tr', { class: 'letter-row', dataset: { letter: String(l.id) } },
    td(`#${l.id}`), td(l.route), td(l.kind === 'batch' ? [loadLink(l.loadId, `load ${l.loadId.slice(0, 8)}…`), ` batch ${l.seq}`] : `delivery ${l.deliveryId}`),
    td(h('span', { class: 'error-text' }, l.error)), num(l.attempts), td(when(l.failedAt)), td(replayButton(l)))), { empty: emptyText });
}

function routesCard(o) {
  return section('Routes', 'routes', table(['route', 'trigger', 'state', 'last run', 'last hour', 'errors', 'dead letters', 'next run', 'retry'],
    o.routes.map((r) => {
      const errors = r.deadBatchesLastDay !== undefined ? (r.deadBatchesLastDay ? badge(`${r.deadBatchesLastDay} dead batches / day`, 'failed') : '0')
        : r.failingDeliveries !== undefined ? (r.failingDeliveries ? badge(`${r.failingDeliveries} failing`, 'warn') : '0')
          : r.errorsLastHour ? badge(`${r.errorsLastHour} / hour`, 'warn') : '0';
      return h('tr', { dataset: { route: r.id } }, td([h('strong', {}, r.id), h('div', { class: 'muted small', title: r.description }, firstSentence(r.description))]), td(r.trigger), td(badge(r.enabled ? 'enabled' : 'disabled', r.enabled ? 'ok' : 'pending')),
        td([when(r.lastRun), r.lastOutcome ? h('div', { class: 'muted small' }, r.lastOutcome) : null]), td(`${n(r.lastHour)} ${r.unit}`, 'num'), td(errors),
        td(r.openDeadLetters ? badge(n(r.openDeadLetters), 'failed') : '0', 'num'), td(r.nextRun ? when(r.nextRun) : '—'),
        td(`${r.retry.attempts}× ${r.retry.backoff}${r.deadLetter ? ', then dead letter' : ''}`, 'small'));
    })));
}

// A route's description can run to a paragraph: its first sentence in the table, all of it on hover.
function firstSentence(text) {
  const m = /^.{20,}?[.;:](\s|$)/s.exec(text);
  const first = m ? m[0].trim() : text;
  return first.length > 110 ? `${first.slice(0, 107)}…` : first;
}

function partnersCard(o) {
  return section('Partners', 'partners', table(['partner', 'system', 'circuit', 'rate limit', 'timeout', 'last call by the hub', 'calls / failed last hour', 'last seen calling the hub', 'certificate'],
    o.partners.map((p) => {
      const g = p.gate;
      const circuit = !g ? h('span', { class: 'muted' }, p.endpoint ? 'unknown' : 'not called')
        : g.circuit === 'open' ? [badge('open', 'failed'), h('div', { class: 'small' }, `retry in ${Math.ceil(g.retryInMs / 1000)} s`)]
          : g.circuit === 'half-open' ? badge(g.trial ? 'half-open (trial)' : 'half-open', 'warn')
            : [badge('closed', 'ok'), g.failures ? h('div', { class: 'small warn-text' }, `${g.failures} failure(s) in a row`) : null];
      return h('tr', { dataset: { partner: p.id } }, td([h('strong', {}, p.id), p.municipality ? h('div', { class: 'muted small' }, p.municipality) : null]), td(p.system), td(circuit),
        td(p.rateLimit ? `${p.rateLimit.perSecond}/s${g?.queuedMs ? `, ${g.queuedMs} ms queued` : ''}` : '—'), td(p.endpoint ? `${p.timeoutMs / 1000} s` : '—'),
        td([when(p.lastCall), p.lastCallOutcome ? h('div', { class: 'muted small' }, p.lastCallOutcome) : null]),
        td(`${n(p.callsLastHour)} / ${n(p.failedLastHour)}`, 'num'), td(when(p.lastSeen)), td(certCell(p.certificate)));
    })));
}

// ---------------------------------------------------------------- the chart

const CODE_COLOURS = ['#c0392b', '#8e44ad', '#d35400', '#2c3e50', '#16a085', '#b7950b', '#7f8c8d', '#2471a3', '#a04000', '#1e8449'];

function drawCharts() {
  const host = document.getElementById('charts');
  const sr = state.series;
  if (!host || !sr) return;
  const width = Math.max(320, host.clientWidth || 900);
  const M = sr.minutes;
  const from = Date.parse(sr.from);
  const acc = new Array(M).fill(0), rej = new Array(M).fill(0), dead = new Array(M).fill(0);
  for (const r of sr.records) { acc[r.m] = r.accepted; rej[r.m] = r.rejected; dead[r.m] = r.deadBatches; }
  const codes = Object.keys(sr.rejections).sort((a, b) => total(sr.rejections[b]) - total(sr.rejections[a]));
  const perCode = Object.fromEntries(codes.map((c) => { const a = new Array(M).fill(0); for (const [m, v] of sr.rejections[c]) a[m] = v; return [c, a]; }));
  const sumAcc = acc.reduce((a, b) => a + b, 0), sumRej = rej.reduce((a, b) => a + b, 0);

  const recordsChart = chart(width, 170, M, from, [
    { label: 'accepted', values: acc.map((v, i) => v + rej[i]), fill: '#b9dfc3', stroke: '#2e8b57' },
    { label: 'rejected', values: rej, fill: '#f3b8b0', stroke: '#c0392b' },
  ], dead);
  const codesChart = chart(width, 130, M, from, codes.map((c, i) => ({ label: c, values: perCode[c], stroke: CODE_COLOURS[i % CODE_COLOURS.length] })));

  const readout = h('div', { class: 'readout muted' }, 'Point at the chart for a minute\'s figures.');
  for (const svg of [recordsChart, codesChart]) {
    svg.addEventListener('mousemove', (ev) => {
      const box = svg.getBoundingClientRect();
      const m = Math.min(M - 1, Math.max(0, Math.round(((ev.clientX - box.left - PAD_L) / (box.width - PAD_L - PAD_R)) * (M - 1))));
      const t = new Date(from + m * 60_000);
      const parts = codes.filter((c) => perCode[c][m]).map((c) => `${c} ${perCode[c][m]}`);
      readout.textContent = `${t.toLocaleString('en-GB', { hour: '2-digit', minute: '2-digit', day: '2-digit', month: 'short' })}: ${n(acc[m])} accepted, ${n(rej[m])} rejected${parts.length ? ` (${parts.join(', ')})` : ''}${dead[m] ? `, ${dead[m]} batch(es) dead` : ''}`;
      for (const c of document.querySelectorAll('.cursor')) { c.setAttribute('x1', xOf(m, M, box.width)); c.setAttribute('x2', xOf(m, M, box.width)); c.setAttribute('visibility', 'visible'); }
    });
  }
  host.replaceChildren(
    h('h3', {}, 'Records per minute ', h('span', { class: 'muted small' }, `${n(sumAcc)} accepted, ${n(sumRej)} rejected in the last day; red ticks: batches that went dead`)),
    recordsChart,
    h('h3', {}, 'Rejections per code'),
    codes.length ? codesChart : empty('No rejected records in the last day.'),
    codes.length ? h('div', { class: 'legend' }, codes.map((c, i) => {
      const sw = h('span', { class: 'swatch' });
      sw.style.background = CODE_COLOURS[i % CODE_COLOURS.length];
      return h('span', { class: 'legend-item' }, sw, `${c} ${n(total(sr.rejections[c]))}`);
    })) : null,
    readout,
  );
}

const total = (pairs) => pairs.reduce((a, [, v]) => a + v, 0);
const PAD_L = 44, PAD_R = 8, PAD_T = 8, PAD_B = 22;
const xOf = (m, M, width) => PAD_L + (m / Math.max(1, M - 1)) * (width - PAD_L - PAD_R);

function chart(width, height, M, from, series, dead) {
  const max = Math.max(1, ...series.flatMap((x) => x.values));
  const top = niceCeil(max);
  const y = (v) => PAD_T + (1 - v / top) * (height - PAD_T - PAD_B);
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  for (const f of [0, 0.5, 1]) {
    svg.append(s('line', { x1: PAD_L, x2: width - PAD_R, y1: y(top * f), y2: y(top * f), class: 'grid' }),
      s('text', { x: PAD_L - 4, y: y(top * f) + 4, 'text-anchor': 'end', class: 'axis' }, n(Math.round(top * f))));
  }
  // An hour mark every three hours, at whole local hours.
  const firstHour = Math.ceil(from / 3_600_000) * 3_600_000;
  for (let t = firstHour; t < from + M * 60_000; t += 3_600_000) {
    const d = new Date(t);
    if (d.getHours() % 3) continue;
    const x = xOf((t - from) / 60_000, M, width);
    svg.append(s('line', { x1: x, x2: x, y1: PAD_T, y2: height - PAD_B, class: 'grid' }),
      s('text', { x, y: height - 6, 'text-anchor': 'middle', class: 'axis' }, `${String(d.getHours()).padStart(2, '0')}:00`));
  }
  for (const se of series) {
    const pts = se.values.map((v, m) => `${xOf(m, M, width).toFixed(1)},${y(v).toFixed(1)}`);
    if (se.fill) svg.append(s('path', { d: `M${xOf(0, M, width)},${y(0)} L${pts.join(' L')} L${xOf(M - 1, M, width)},${y(0)} Z`, fill: se.fill, stroke: 'none' }));
    svg.append(s('path', { d: `M${pts.join(' L')}`, fill: 'none', stroke: se.stroke, 'stroke-width': 1.2 }, s('title', {}, se.label)));
  }
  if (dead) dead.forEach((d, m) => { if (d) svg.append(s('line', { x1: xOf(m, M, width), x2: xOf(m, M, width), y1: height - PAD_B, y2: height - PAD_B - 8, class: 'dead-tick' }, s('title', {}, `${d} batch(es) went dead`))); });
  svg.append(s('line', { class: 'cursor', x1: 0, x2: 0, y1: PAD_T, y2: height - PAD_B, visibility: 'hidden' }));
  return svg;
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 2, 5, 10]) if (k * p >= v) return k * p;
  return 10 * p;
}

// ---------------------------------------------------------------- a load

function loadPage(d) {
  const l = d.load;
  const letterOf = new Map(d.deadLetters.filter((x) => !x.replayedAt).map((x) => [x.seq, x]));
  const replayedOf = new Map(d.deadLetters.filter((x) => x.replayedAt).map((x) => [x.seq, x]));
  return h('div', { class: 'page' },
    h('p', {}, h('a', { href: '#/' }, '← overview')),
    h('section', { class: 'card', id: 'load' },
      h('h2', {}, 'Load ', h('code', {}, l.id), ' ', h('span', { id: 'load-status' }, badge(l.status))),
      h('dl', { class: 'facts' },
        fact('source', l.source), fact('municipality', l.municipality), fact('period', l.period), fact('partner', l.partnerId), fact('route', l.routeId),
        fact('created', when(l.createdAt)), fact('committed', when(l.committedAt)), fact('finished', when(l.finishedAt)),
        fact('batches', progress(l.batches)), fact('expected batches', n(l.expectedBatches)),
        fact('records', `${n(l.records.received)} received, ${n(l.records.accepted)} accepted, ${n(l.records.rejected)} rejected`),
        fact('receipt', d.receipt.ready ? ['signed receipt ready for the partner: ', h('code', {}, `GET ${d.receipt.path}`)] : 'issued once the load is done'))),
    section('Batches', 'batches', table(['#', 'status', 'records', 'accepted', 'rejected', 'size', 'processed', 'sha256', 'problem'],
      d.batches.map((b) => {
        const letter = letterOf.get(b.seq), replayed = replayedOf.get(b.seq);
        return h('tr', { class: `batch-row ${b.status}`, dataset: { seq: String(b.seq) } }, td(String(b.seq)), td(badge(b.status, b.status === 'dead' ? 'failed' : b.status)),
          num(b.records), num(b.accepted), num(b.rejected), td(`${n(Math.round(b.size / 1024))} KiB`, 'num'), td(when(b.processedAt)), td(h('code', { title: b.sha256 }, b.sha256.slice(0, 12))),
          td(letter ? [h('div', { class: 'error-text' }, b.error ?? letter.error), h('div', { class: 'small muted' }, `dead letter #${letter.id} after ${letter.attempts} attempts, `, when(letter.failedAt)), replayButton(letter)]
            : replayed && b.status !== 'dead' ? h('span', { class: 'muted small' }, `replayed from dead letter #${replayed.id} `, when(replayed.replayedAt))
              : b.error ? h('span', { class: 'error-text' }, b.error) : ''));
      }))),
    section('Rejections by code', 'codes', d.rejectionsByCode.length ? codeBars(d.rejectionsByCode, l.records.rejected) : empty('No rejected records.')),
    l.quality ? section('Data quality', 'quality', qualityTiles(l.quality)) : null,
    section(`Rejected records (first ${d.rejections.items.length} of ${n(d.rejections.total)})`, 'rejections',
      table(['batch', '#', 'kind', 'key', 'field', 'code', 'message'], d.rejections.items.flatMap((r) => r.errors.map((e, i) => h('tr', {},
        td(i ? '' : String(r.batch)), td(i ? '' : String(r.index)), td(i ? '' : r.kind ?? '—'), td(i ? '' : r.naturalKey ?? '—'), td(h('code', {}, e.field)), td(badge(e.code, 'code')), td(e.message)))),
      { empty: 'No rejected records.' })),
  );
}

const fact = (k, v) => [h('dt', {}, k), h('dd', {}, v)];

function codeBars(codes, rejected) {
  const max = Math.max(1, ...codes.map((c) => c.records));
  return h('div', { class: 'codes' }, codes.map((c) => {
    const bar = h('span', { class: 'hbar' });
    bar.style.width = `${(c.records / max) * 100}%`;
    return h('div', { class: 'code-row', dataset: { code: c.code } }, h('span', { class: 'code-name' }, badge(c.code, 'code')), h('span', { class: 'code-bar' }, bar),
      h('span', { class: 'num' }, `${n(c.records)}`, rejected ? h('span', { class: 'muted' }, ` (${pct(c.records / rejected)})`) : null),
      h('span', { class: 'muted small' }, c.fields.slice(0, 4).map((f) => `${f.field || '(record)'} ${n(f.records)}`).join(', ')));
  }));
}

function qualityTiles(q) {
  const dims = ['accuracy', 'completeness', 'admissibility', 'uniqueness', 'consistency'];
  return h('div', { class: 'tiles' },
    dims.filter((k) => q[k]).map((k) => h('div', { class: 'tile' }, h('h3', {}, k), h('div', { class: `big ${q[k].rate > 0.05 ? 'bad' : ''}` }, pct(q[k].rate)), h('div', { class: 'muted' }, `${n(q[k].failed)} records fail`))),
    q.timeliness ? h('div', { class: 'tile' }, h('h3', {}, 'timeliness'), h('div', { class: `big ${q.timeliness.lateRate > 0.05 ? 'bad' : ''}` }, pct(q.timeliness.lateRate)), h('div', { class: 'muted' }, `${n(q.timeliness.late)} of ${n(q.timeliness.checked)} late`)) : null);
}

// ---------------------------------------------------------------- all dead letters

function lettersPage(d) {
  return h('div', { class: 'page' }, h('p', {}, h('a', { href: '#/' }, '← overview')),
    section('Dead letters, newest first', 'all-letters', lettersTable(d.items, 'No dead letters, ever.')));
}

// ---------------------------------------------------------------- start

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void signIn($('key').value.trim());
});
$('signout').addEventListener('click', () => showLogin());

if (sessionStorage.getItem(KEY)) void signIn(sessionStorage.getItem(KEY));
else showLogin();
