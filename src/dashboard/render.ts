import { createHash } from 'node:crypto';
import { formatDuration } from '../duration.ts';
import type { DashboardModel, RowSource } from './model.ts';
import { JANITOR_STATUSES, RUN_VERDICTS } from './model.ts';

/**
 * HTML text of an untrusted string: `& < > " '` become entities, and characters that hide
 * themselves or reorder text (controls, bidirectional overrides, zero-width) are shown as escapes.
 */
export function escapeHtml(text: unknown): string {
  return String(text ?? '')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON placed inside a `<script>` element: nothing in it can close the element or start a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A relative link to an artifact: each path segment percent-encoded, so no scheme or query can come from a file name. */
function artifactHref(file: string): string {
  return escapeHtml(file.split('/').map((part) => (part === '..' || part === '.' ? part : encodeURIComponent(part))).join('/'));
}

const day = (at: string) => at.slice(0, 10);
const when = (at: string) => escapeHtml(at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
const ms = (n: number) => (n < 1000 ? `${Math.round(n)}ms` : formatDuration(n));

function rowAttrs(source: RowSource, modules: readonly string[]): string {
  return ` data-repo="${escapeHtml(source.repository)}" data-modules="${escapeHtml(` ${modules.join(' ')} `)}" data-day="${escapeHtml(day(source.at))}"`;
}

function runLink(source: RowSource): string {
  return `<a href="${artifactHref(source.file)}">${escapeHtml(source.runId)}</a>`;
}

interface Column<T> {
  head: string;
  cell: (row: T) => string;
  numeric?: boolean;
}

function table<T>(id: string, columns: Column<T>[], rows: readonly T[], attrs: (row: T) => string = () => '', note = ''): string {
  if (rows.length === 0) return `<p class="empty" id="${id}-empty">Nothing here in these artifacts.</p>`;
  const head = columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${c.head}</th>`).join('');
  const body = rows.map((r) => `<tr${attrs(r)}>${columns.map((c) => `<td${c.numeric ? ' class="num"' : ''}>${c.cell(r)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${note ? `<p class="note">${note}</p>` : ''}`;
}

function limited(model: DashboardModel, shown: number, key: keyof DashboardModel['totals']): string {
  const total = model.totals[key];
  return total > shown ? `The newest ${shown} of ${total} rows are listed; the charts and counts cover all of them.` : '';
}

function counted(id: string, head: string, rows: ReadonlyArray<readonly [string, number]>): string {
  return table(id, [{ head, cell: (r) => escapeHtml(r[0]) }, { head: 'findings', cell: (r) => String(r[1]), numeric: true }], rows);
}

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--pass:#1a7f37;--blocked:#cf222e;--overridden:#9a6700;--error:#8250df}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1280px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.meta,.note,.empty{color:var(--muted)}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f8fa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.chart{position:relative;height:260px;margin:8px 0}
.v-pass{color:var(--pass)}.v-blocked{color:var(--blocked)}.v-overridden{color:var(--overridden)}.v-error{color:var(--error)}
form#filters{display:flex;flex-wrap:wrap;gap:12px;align-items:end;border:1px solid var(--line);border-radius:6px;padding:8px 12px;position:sticky;top:0;background:var(--bg);z-index:1}
form#filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
tr[hidden]{display:none}`;

/** The browser side: filters hide table rows and redraw the charts from the runs. No network, no storage. */
const SCRIPT = `
(function(){
'use strict';
var data=JSON.parse(document.getElementById('dashboard-data').textContent);
var form=document.getElementById('filters');form.hidden=false;
var repo=document.getElementById('f-repo'),mod=document.getElementById('f-module'),from=document.getElementById('f-from'),to=document.getElementById('f-to');
var colors={pass:'#1a7f37',blocked:'#cf222e',overridden:'#d4a72c',error:'#8250df',deleted:'#cf222e',planned:'#fb8f44',kept:'#1a7f37',skipped:'#9a6700',failed:'#8250df'};
var palette=['#0969da','#cf222e','#1a7f37','#8250df','#bc4c00','#1b7c83','#9a6700','#bf3989'];
function keep(r,day,modules){return (!repo.value||r===repo.value)&&(!mod.value||modules.indexOf(mod.value)>=0)&&(!from.value||day>=from.value)&&(!to.value||day<=to.value);}
function days(runs){var s={};runs.forEach(function(r){s[r.d]=1});return Object.keys(s).sort();}
var charts={};
function draw(id,type,labels,datasets,stacked){
  var el=document.getElementById(id);if(!el)return;
  if(charts[id]){charts[id].data.labels=labels;charts[id].data.datasets=datasets;charts[id].update();return;}
  charts[id]=new Chart(el,{type:type,data:{labels:labels,datasets:datasets},options:{animation:false,responsive:true,maintainAspectRatio:false,
    scales:{x:{stacked:!!stacked},y:{stacked:!!stacked,beginAtZero:true,ticks:{precision:0}}},plugins:{legend:{position:'bottom'}}}});
}
function render(){
  var runs=data.runs.filter(function(r){return keep(r.r,r.d,r.m)});
  var labels=days(runs),index={};labels.forEach(function(d,i){index[d]=i});
  draw('chart-runs','bar',labels,data.verdicts.map(function(v){var c=labels.map(function(){return 0});runs.forEach(function(r){if(r.v===v)c[index[r.d]]++});return {label:v,data:c,backgroundColor:colors[v]};}),true);
  var jr=runs.filter(function(r){return r.j}),jl=days(jr),ji={};jl.forEach(function(d,i){ji[d]=i});
  draw('chart-janitor','bar',jl,data.janitor.map(function(s,k){var c=jl.map(function(){return 0});jr.forEach(function(r){c[ji[r.d]]+=r.j[k]});return {label:s,data:c,backgroundColor:colors[s]};}),true);
  var dr=runs.filter(function(r){return r.x}),dl=days(dr),di={};dl.forEach(function(d,i){di[d]=i});var where={};
  dr.forEach(function(r){Object.keys(r.x).forEach(function(k){where[k]=1})});
  draw('chart-drift','line',dl,Object.keys(where).sort().map(function(k,n){var c=dl.map(function(){return null});
    dr.forEach(function(r){if(k in r.x){var i=di[r.d];c[i]=Math.max(c[i]===null?0:c[i],r.x[k]);}});
    return {label:k,data:c,borderColor:palette[n%palette.length],backgroundColor:palette[n%palette.length],spanGaps:true,stepped:true};}),false);
  var rows=document.querySelectorAll('tr[data-day]'),shown=0;
  for(var i=0;i<rows.length;i++){var t=rows[i];var ok=keep(t.getAttribute('data-repo'),t.getAttribute('data-day'),t.getAttribute('data-modules').trim().split(' '));t.hidden=!ok;if(ok&&t.closest('#runs'))shown++;}
  document.getElementById('runs-shown').textContent=String(shown);
}
[repo,mod,from,to].forEach(function(el){el.addEventListener('change',render);el.addEventListener('input',render);});
form.addEventListener('reset',function(){setTimeout(render,0)});
render();
})();`;

/**
 * The dashboard as one HTML document: tables rendered here (readable with no JavaScript), the
 * charts and filters drawn in the browser by the inlined chart library from the data embedded as
 * JSON. Every string from an artifact is escaped; a Content-Security-Policy forbids any load from
 * outside the file. `chartLibrary` is the library's browser build (see chart-library.ts).
 */
export function renderDashboard(model: DashboardModel, chartLibrary: string): string {
  const c = model.counts;
  const repos = [...new Set(model.chartRuns.map((r) => r.r).filter(Boolean))].sort();
  const modules = [...new Set(model.chartRuns.flatMap((r) => r.m))].sort();
  const option = (v: string) => `<option value="${escapeHtml(v)}">${escapeHtml(v)}</option>`;
  const verdictCounts = Object.fromEntries(RUN_VERDICTS.map((v) => [v, model.chartRuns.filter((r) => r.v === v).length]));
  const skippedNote = [
    c.malformed ? `${c.malformed} malformed` : '',
    c.foreign ? `${c.foreign} not DriftGuard's` : '',
    c.unreadable ? `${c.unreadable} unreadable` : '',
    c.outOfRange ? `${c.outOfRange} before the period` : '',
  ].filter(Boolean).join(', ');
  const data = { runs: model.chartRuns, verdicts: RUN_VERDICTS, janitor: JANITOR_STATUSES };

  const body = `
<h1>DriftGuard governance report</h1>
<p class="meta">Generated ${when(model.generatedAt)}${model.since ? `, runs of the last ${escapeHtml(model.since)}` : ''} from ${c.artifacts} audit artifacts and ${c.journals} janitor journals${skippedNote ? `; files skipped: <span id="skipped">${escapeHtml(skippedNote)}</span>` : ''}.</p>
<div class="cards">
${RUN_VERDICTS.map((v) => `<div class="card"><span class="v-${v}">${v}</span><b id="count-${v}">${verdictCounts[v]}</b></div>`).join('\n')}
<div class="card">janitor deleted<b id="count-deleted">${model.janitorTotals.deleted}</b></div>
<div class="card">overrides refused<b id="count-refused">${model.overrides.filter((o) => o.decision === 'refused').length}</b></div>
</div>
<form id="filters" hidden>
<label>Repository<select id="f-repo"><option value="">all</option>${repos.map(option).join('')}</select></label>
<label>Module<select id="f-module"><option value="">all</option>${modules.map(option).join('')}</select></label>
<label>From<input type="date" id="f-from"></label>
<label>To<input type="date" id="f-to"></label>
<button type="reset">Clear</button>
<span class="meta"><span id="runs-shown">${model.runs.length}</span> runs listed</span>
</form>

<h2 id="runs-over-time">Runs over time</h2>
<div class="chart"><canvas id="chart-runs" aria-label="Runs per day by verdict" role="img"></canvas></div>
<h3>Runs</h3>
${table('runs', [
    { head: 'started', cell: (r) => when(r.at) },
    { head: 'run', cell: runLink },
    { head: 'event', cell: (r) => escapeHtml(r.event) },
    { head: 'repository', cell: (r) => `${escapeHtml(r.repository)}${r.pullRequest ? ` #${r.pullRequest}` : ''}` },
    { head: 'modules', cell: (r) => escapeHtml(r.modules.join(', ')) },
    { head: 'verdict', cell: (r) => `<span class="v-${r.verdict}">${r.verdict}</span>${r.dryRun ? ' (dry run)' : ''}` },
    { head: 'duration', cell: (r) => ms(r.durationMs), numeric: true },
  ], model.runs, (r) => rowAttrs(r, r.modules), limited(model, model.runs.length, 'runs'))}
<h3>Slowest steps</h3>
${table('slow-steps', [
    { head: 'module', cell: (r) => escapeHtml(r.module) },
    { head: 'duration', cell: (r) => ms(r.durationMs), numeric: true },
    { head: 'effect', cell: (r) => escapeHtml(r.effect) },
    { head: 'repository', cell: (r) => escapeHtml(r.repository) },
    { head: 'run', cell: runLink },
  ], model.slowSteps, (r) => rowAttrs(r, [r.module]))}

<h2 id="pr-check">Pull request check</h2>
<div class="grid">
<div><h3>Most frequent undocumented settings</h3>${counted('top-settings', 'setting', model.topSettings)}</div>
<div><h3>Repositories</h3>${counted('top-repositories', 'repository', model.topRepositories)}</div>
<div><h3>Files</h3>${counted('top-files', 'file', model.topFiles)}</div>
</div>
<h3>Undocumented settings found</h3>
${table('doc-findings', [
    { head: 'started', cell: (r) => when(r.at) },
    { head: 'setting', cell: (r) => `<code>${escapeHtml(r.setting)}</code>` },
    { head: 'file', cell: (r) => `<code>${escapeHtml(r.path)}${r.line ? `:${r.line}` : ''}</code>` },
    { head: 'repository', cell: (r) => `${escapeHtml(r.repository)}${r.pullRequest ? ` #${r.pullRequest}` : ''}` },
    { head: 'rule', cell: (r) => escapeHtml(r.rule) },
    { head: 'severity', cell: (r) => escapeHtml(r.severity) },
    { head: 'run', cell: runLink },
  ], model.docFindings, (r) => rowAttrs(r, ['doc_sync']), limited(model, model.docFindings.length, 'docFindings'))}
<h3>Overrides granted and refused</h3>
${table('overrides', [
    { head: 'started', cell: (r) => when(r.at) },
    { head: 'who', cell: (r) => escapeHtml(r.who) },
    { head: 'decision', cell: (r) => `<span class="v-${r.decision === 'granted' ? 'overridden' : 'blocked'}">${r.decision}</span>` },
    { head: 'why / refusing rule', cell: (r) => escapeHtml(r.why) },
    { head: 'repository', cell: (r) => `${escapeHtml(r.repository)}${r.pullRequest ? ` #${r.pullRequest}` : ''}` },
    { head: 'run', cell: runLink },
  ], model.overrides, (r) => rowAttrs(r, ['override']), limited(model, model.overrides.length, 'overrides'))}

<h2 id="janitor">Janitor</h2>
<div class="chart"><canvas id="chart-janitor" aria-label="Janitor resources per day by decision" role="img"></canvas></div>
<div class="cards">${JANITOR_STATUSES.map((s) => `<div class="card">${s}<b id="janitor-${s}">${model.janitorTotals[s]}</b></div>`).join('')}</div>
<div class="grid">
<div><h3>By provider, account and reason</h3>${table('janitor-reasons', [
    { head: 'provider', cell: (r) => escapeHtml(r[0]) },
    { head: 'account', cell: (r) => escapeHtml(r[1]) },
    { head: 'reason (N: a time)', cell: (r) => escapeHtml(r[2]) },
    { head: 'resources', cell: (r) => String(r[3]), numeric: true },
  ], model.janitorByReason)}</div>
<div><h3>Skipped run after run</h3>${table('persistent-skips', [
    { head: 'resource', cell: (r) => `<code>${escapeHtml(r.resource)}</code>` },
    { head: 'runs', cell: (r) => String(r.runs), numeric: true },
    { head: 'since', cell: (r) => when(r.first) },
    { head: 'last reason', cell: (r) => `<a href="${artifactHref(r.file)}">${escapeHtml(r.reason)}</a>` },
  ], model.persistentSkips)}</div>
</div>
<h3>Decisions</h3>
${table('janitor-rows', [
    { head: 'started', cell: (r) => when(r.at) },
    { head: 'decision', cell: (r) => escapeHtml(r.status) },
    { head: 'provider', cell: (r) => escapeHtml(r.provider) },
    { head: 'account', cell: (r) => escapeHtml(r.account) },
    { head: 'region', cell: (r) => escapeHtml(r.region) },
    { head: 'resource', cell: (r) => `<code>${escapeHtml(r.type)} ${escapeHtml(r.resource)}</code>` },
    { head: 'reason', cell: (r) => escapeHtml(r.reason) },
    { head: 'run', cell: runLink },
  ], model.janitor, (r) => rowAttrs(r, ['janitor']), limited(model, model.janitor.length, 'janitor'))}
<h3>Journals of live runs</h3>
${table('journals', [
    { head: 'opened', cell: (r) => when(r.opened) },
    { head: 'run', cell: (r) => `<a href="${artifactHref(r.file)}">${escapeHtml(r.runId)}</a>` },
    { head: 'actor', cell: (r) => escapeHtml(r.actor) },
    { head: 'finished', cell: (r) => (r.closed ? 'yes' : '<b>no (interrupted)</b>') },
    { head: 'deleted', cell: (r) => String(r.deleted), numeric: true },
    { head: 'failed', cell: (r) => String(r.failed), numeric: true },
    { head: 'unconfirmed', cell: (r) => String(r.unconfirmed), numeric: true },
  ], model.journals, (r) => rowAttrs({ file: r.file, runId: r.runId, at: r.opened, repository: '' }, ['janitor']))}

<h2 id="drift">Drift</h2>
<div class="chart"><canvas id="chart-drift" aria-label="Drifted stacks per environment and region" role="img"></canvas></div>
<h3>Stacks checked</h3>
${table('drift-rows', [
    { head: 'started', cell: (r) => when(r.at) },
    { head: 'environment', cell: (r) => escapeHtml(r.environment) },
    { head: 'region', cell: (r) => escapeHtml(r.region) },
    { head: 'stack', cell: (r) => escapeHtml(r.stack) },
    { head: 'status', cell: (r) => escapeHtml(r.status) },
    { head: 'changes', cell: (r) => String(r.changes), numeric: true },
    { head: 'run', cell: runLink },
  ], model.drift, (r) => rowAttrs(r, ['drift']), limited(model, model.drift.length, 'drift'))}
<h3>Time to remediation</h3>
${table('remediations', [
    { head: 'stack', cell: (r) => escapeHtml(r.stack) },
    { head: 'drifted since', cell: (r) => when(r.driftedAt) },
    { head: 'clean at', cell: (r) => (r.cleanAt ? when(r.cleanAt) : 'still drifted') },
    { head: 'time', cell: (r) => (r.ms === undefined ? '' : ms(r.ms)), numeric: true },
  ], model.remediations)}
<noscript><p class="note">The charts and filters need JavaScript; every table above is complete without it.</p></noscript>`;

  // Only these two scripts may run: an element that slipped past the escaping would not.
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ${hash(chartLibrary)} ${hash(SCRIPT)}; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>DriftGuard governance report</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<script type="application/json" id="dashboard-data">${scriptJson(data)}</script>
<script>${chartLibrary}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
