import { createRequire as __dgCreateRequire } from 'node:module'; import { fileURLToPath as __dgFileURLToPath } from 'node:url'; const require = __dgCreateRequire(import.meta.url); const __dgFilename = __dgFileURLToPath(import.meta.url);
import{b as O,c as E}from"./chunk-FAXUCEHH.js";import{a as o}from"./chunk-P7HK6X6R.js";import{b as k}from"./chunk-PV7WERUU.js";import"./chunk-YG2NS7FC.js";import{mkdir as $e,stat as xe,writeFile as je}from"node:fs/promises";import{dirname as G,resolve as V}from"node:path";import{existsSync as H,readFileSync as Y}from"node:fs";import{createRequire as K}from"node:module";import{dirname as I,join as C}from"node:path";import{fileURLToPath as W}from"node:url";var F="chart.umd.min.js";function L(){let t=I(W(import.meta.url)),r=C(t,"vendor",F),d=H(r)?r:C(I(K(import.meta.url).resolve("chart.js")),F);return Y(d,"utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/,`
`).replace(/<\/(script)/gi,"<\\/$1")}var j=["pass","blocked","overridden","error"],S=["deleted","planned","kept","skipped","failed"],B=/^([a-z]+)\/([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/,X=/^(\S+) (\S+) (.+) \(([^/)]+)(?:\/([^)]+))?\)$/;function Q(t){return t.outcome==="error"?"error":t.outcome==="blocked"?"blocked":t.steps.some(r=>r.effect==="overridden")?"overridden":"pass"}var ee=t=>t.replace(/ \([^)]*\)/g,"").replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g,"T").replace(/\b\d+(?:ms|[smhdw])(?:\d+(?:ms|[smhdw]))*\b/g,"N"),w=(t,r,d=1)=>t.set(r,(t.get(r)??0)+d),$=(t,r)=>[...t].sort((d,s)=>s[1]-d[1]||(d[0]<s[0]?-1:1)).slice(0,r),te=(t,r)=>t.at<r.at?1:t.at>r.at?-1:0,x=class{constructor(r){this.options=r}options;skipped={malformed:0,foreign:0,outOfRange:0,unreadable:0};artifacts=0;runs=[];steps=[];docFindings=[];settings=new Map;repositories=new Map;files=new Map;overrides=[];janitor=[];janitorTotals={deleted:0,planned:0,kept:0,skipped:0,failed:0};janitorReasons=new Map;skips=new Map;journals=[];drift=[];observations=[];chartRuns=[];inRange(r){return this.options.sinceMs===void 0?!0:Date.parse(r)>=this.options.now.getTime()-this.options.sinceMs}addArtifact(r,d){if(!this.inRange(r.startedAt)){this.skipped.outOfRange++;return}this.artifacts++;let s={file:d,runId:r.runId,at:r.startedAt,repository:r.repository??""},u=Q(r);this.runs.push({...s,event:r.event,pullRequest:r.pullRequest,actor:r.actor,verdict:u,dryRun:r.dryRun,modules:r.steps.map(i=>i.module),durationMs:r.durationMs});let p={d:r.startedAt.slice(0,10),r:s.repository,m:r.steps.map(i=>i.module),v:u};for(let i of r.steps){this.steps.push({...s,module:i.module,durationMs:i.durationMs,effect:i.effect});let n=i.outcome;if(i.module==="doc_sync")for(let a of n.findings)this.docFindings.push({...s,pullRequest:r.pullRequest,setting:a.title,path:a.file??"",line:a.line,rule:a.rule,severity:a.severity}),w(this.settings,a.title),s.repository&&w(this.repositories,s.repository),a.file&&w(this.files,a.file);else if(i.module==="override")for(let a of n.decisions){if(a.decision!=="granted"&&a.decision!=="refused")continue;let l=/by @(\S+)$/.exec(a.subject)?.[1]??r.actor;this.overrides.push({...s,pullRequest:r.pullRequest,who:l,decision:a.decision,why:a.reason})}else i.module==="janitor"?p.j=this.addJanitor(s,n):i.module==="drift"&&(p.x=this.addDrift(s,n.data))}this.chartRuns.push(p)}addJanitor(r,d){let s=d.findings.filter(n=>n.rule==="janitor.skip").map(n=>({f:n,label:X.exec(n.title),reason:n.message.replace(/^skipped: /,""),used:!1})),u=new Map;for(let n of d.decisions)B.test(n.subject)&&u.set(n.subject,n);let p=[0,0,0,0,0],i=n=>{if(this.janitor.push({...r,...n}),this.janitorTotals[n.status]++,p[S.indexOf(n.status)]++,w(this.janitorReasons,JSON.stringify([n.provider,n.account,n.status==="deleted"?"deleted":ee(n.reason)])),n.status==="skipped"){let a=`${n.provider}/${n.account}/${n.region}/${n.type}/${n.resource}`,l=this.skips.get(a)??{resource:a,runs:0,first:r.at,last:r.at,reason:n.reason,file:r.file,seen:new Set};l.seen.has(r.runId)||(l.seen.add(r.runId),l.runs++),r.at<l.first&&(l.first=r.at),r.at>=l.last&&Object.assign(l,{last:r.at,reason:n.reason,file:r.file}),this.skips.set(a,l)}};for(let[n,a]of u){let[,l,f,e,b,Z]=B.exec(n),A=a.decision==="deleted"?"deleted":a.decision==="delete"?"planned":a.decision==="not deleted"?"skipped":a.decision==="delete failed"?"failed":"kept";if(A==="kept"){let J=s.find(v=>!v.used&&v.label&&v.label[1]===l&&v.label[2]===b&&v.label[4]===f&&v.reason===a.reason);J&&(J.used=!0,A="skipped")}i({provider:l,account:f,region:e,type:b,resource:Z,status:A,reason:a.reason})}for(let n of s){if(n.used)continue;let[,a="",l="",f=n.f.title,e="",b=""]=n.label??[];i({provider:a,account:e,region:b,type:l,resource:f,status:"skipped",reason:n.reason})}return p}addDrift(r,d){let s=Array.isArray(d?.stacks)?d.stacks:[],u={};for(let p of s){if(typeof p!="object"||p===null)continue;let i=p;if(typeof i.fingerprint!="string"||typeof i.status!="string")continue;let[n="",a="",...l]=i.fingerprint.split("/"),f=Array.isArray(i.drift)?i.drift.length:0,e=i.status==="drift"&&f>0;this.drift.push({...r,environment:n,region:a,stack:l.join("/")||i.fingerprint,status:e?"drift":i.status==="drift"?"clean":i.status,changes:f}),e?u[`${n}/${a}`]=(u[`${n}/${a}`]??0)+1:`${n}/${a}`in u||(u[`${n}/${a}`]=0),i.status!=="error"&&this.observations.push({stack:i.fingerprint,at:r.at,drifted:e})}return u}addJournal(r,d){let s=r.find(e=>e.kind==="open");if(!s){this.skipped.foreign++;return}if(!this.inRange(s.at)){this.skipped.outOfRange++;return}let u=new Set,p=new Set,i=0,n=0;for(let e of r)e.kind==="intent"&&e.subject&&u.add(e.subject),e.kind==="result"&&e.subject&&(p.add(e.subject),(e.result==="deleted"||e.result==="gone"||e.result==="destroyed")&&i++,e.result==="failed"&&n++);let a=r.some(e=>e.kind==="close"),f=r.some(e=>e.kind==="accounted")?0:[...u].filter(e=>!p.has(e)).length;this.journals.push({file:d,runId:s.runId,actor:s.actor,opened:s.at,closed:a,deleted:i,failed:n,unconfirmed:f})}build(){let r=this.options.rowLimit??500,d=i=>i.sort(te).slice(0,r),s=[],u=new Map;for(let i of this.observations)(u.get(i.stack)??u.set(i.stack,[]).get(i.stack)).push(i);for(let[i,n]of u){n.sort((l,f)=>l.at<f.at?-1:l.at>f.at?1:0);let a;for(let l of n)l.drifted&&a===void 0?a=l.at:!l.drifted&&a!==void 0&&(s.push({stack:i,driftedAt:a,cleanAt:l.at,ms:Date.parse(l.at)-Date.parse(a)}),a=void 0);a!==void 0&&s.push({stack:i,driftedAt:a})}s.sort((i,n)=>i.driftedAt<n.driftedAt?1:-1);let p={runs:this.runs.length,docFindings:this.docFindings.length,overrides:this.overrides.length,janitor:this.janitor.length,drift:this.drift.length};return{generatedAt:this.options.now.toISOString(),since:this.options.since,counts:{artifacts:this.artifacts,journals:this.journals.length,...this.skipped},runs:d(this.runs),slowSteps:[...this.steps].sort((i,n)=>n.durationMs-i.durationMs).slice(0,15),docFindings:d(this.docFindings),topSettings:$(this.settings,15),topRepositories:$(this.repositories,15),topFiles:$(this.files,15),overrides:d(this.overrides),janitor:d(this.janitor),janitorTotals:this.janitorTotals,janitorByReason:$(this.janitorReasons,20).map(([i,n])=>[...JSON.parse(i),n]),persistentSkips:[...this.skips.values()].filter(i=>i.runs>=2).sort((i,n)=>n.runs-i.runs||(i.resource<n.resource?-1:1)).slice(0,50).map(({seen:i,...n})=>n),journals:this.journals.sort((i,n)=>i.opened<n.opened?1:-1).slice(0,r),drift:d(this.drift),remediations:s.slice(0,r),chartRuns:this.chartRuns.sort((i,n)=>i.d<n.d?-1:i.d>n.d?1:0),rowLimit:r,totals:p}}};import{closeSync as oe,fstatSync as de,openSync as ce,readFileSync as le}from"node:fs";import{opendir as ue}from"node:fs/promises";import{join as pe,relative as fe,sep as he}from"node:path";var re=o.object({rule:o.string(),title:o.string(),message:o.string().catch(""),severity:o.string().catch("warning"),file:o.string().optional().catch(void 0),line:o.number().optional().catch(void 0)}),ne=o.object({subject:o.string(),decision:o.string(),reason:o.string().catch("")}),ie=o.object({kind:o.string(),target:o.string(),reason:o.string().catch(""),status:o.string()}),se=o.object({verdict:o.string(),summary:o.string().catch(""),findings:o.array(re).catch([]),actions:o.array(ie).catch([]),decisions:o.array(ne).catch([]),data:o.record(o.string(),o.unknown()).optional().catch(void 0)}),ae=o.object({module:o.string(),verdict:o.string(),effect:o.string(),startedAt:o.string().catch(""),durationMs:o.number().catch(0),outcome:se}),q=o.object({format:o.number().int().min(1).max(1),runId:o.string(),event:o.string(),repository:o.string().optional().catch(void 0),pullRequest:o.number().optional().catch(void 0),actor:o.string().catch(""),dryRun:o.boolean().catch(!1),startedAt:o.iso.datetime({offset:!0}),durationMs:o.number().catch(0),outcome:o.string(),exitCode:o.number().catch(-1),steps:o.array(ae)}),N=o.object({at:o.iso.datetime({offset:!0}),kind:o.enum(["open","intent","result","close","accounted"]),runId:o.string(),actor:o.string().catch(""),op:o.string().optional().catch(void 0),subject:o.string().optional().catch(void 0),result:o.string().optional().catch(void 0),reason:o.string().optional().catch(void 0)});var ge=4,me=64*1024*1024;async function*_(t,r=0){let d=await ue(t);for await(let s of d){if(s.name.startsWith("."))continue;let u=pe(t,s.name);s.isDirectory()?r<ge&&(yield*_(u,r+1)):s.isFile()&&/\.jsonl?$/.test(s.name)&&(yield u)}}async function z(t,r){let d=0;for await(let s of _(r.dir))d++,ve(t,s,fe(r.linkBase,s).split(he).join("/"));return d}function be(t){let r=ce(t,"r");try{return de(r).size>me?void 0:le(r,"utf8")}finally{oe(r)}}function ve(t,r,d){let s;try{s=be(r)}catch{t.skipped.unreadable++;return}if(s===void 0){t.skipped.malformed++;return}if(r.endsWith(".jsonl")){let i=[],n=0;for(let a of s.split(`
`))if(a.trim())try{let l=N.safeParse(JSON.parse(a));l.success?i.push(l.data):n++}catch{n++}if(i.length===0){n>0?t.skipped.malformed++:t.skipped.foreign++;return}t.addJournal(i,d);return}let u;try{u=JSON.parse(s)}catch{t.skipped.malformed++;return}let p=q.safeParse(u);if(!p.success){t.skipped.foreign++;return}t.addArtifact(p.data,d)}import{createHash as ye}from"node:crypto";function c(t){return String(t??"").replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}]/gu,r=>`\\u{${r.codePointAt(0).toString(16)}}`).replace(/[&<>"']/g,r=>`&#${r.charCodeAt(0)};`)}function Re(t){return JSON.stringify(t).replace(/</g,"\\u003c").replace(/>/g,"\\u003e").replace(/&/g,"\\u0026").replace(/\u2028/g,"\\u2028").replace(/\u2029/g,"\\u2029")}function M(t){return c(t.split("/").map(r=>r===".."||r==="."?r:encodeURIComponent(r)).join("/"))}var ke=t=>t.slice(0,10),g=t=>c(t.replace("T"," ").replace(/\.\d+Z$/,"Z")),T=t=>t<1e3?`${Math.round(t)}ms`:E(t);function m(t,r){return` data-repo="${c(t.repository)}" data-modules="${c(` ${r.join(" ")} `)}" data-day="${c(ke(t.at))}"`}function y(t){return`<a href="${M(t.file)}">${c(t.runId)}</a>`}function h(t,r,d,s=()=>"",u=""){if(d.length===0)return`<p class="empty" id="${t}-empty">Nothing here in these artifacts.</p>`;let p=r.map(n=>`<th${n.numeric?' class="num"':""}>${n.head}</th>`).join(""),i=d.map(n=>`<tr${s(n)}>${r.map(a=>`<td${a.numeric?' class="num"':""}>${a.cell(n)}</td>`).join("")}</tr>`).join(`
`);return`<table id="${t}"><thead><tr>${p}</tr></thead><tbody>
${i}
</tbody></table>${u?`<p class="note">${u}</p>`:""}`}function R(t,r,d){let s=t.totals[d];return s>r?`The newest ${r} of ${s} rows are listed; the charts and counts cover all of them.`:""}function D(t,r,d){return h(t,[{head:r,cell:s=>c(s[0])},{head:"findings",cell:s=>String(s[1]),numeric:!0}],d)}var we=`
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--pass:#1a7f37;--blocked:#cf222e;--overridden:#9a6700;--error:#8250df}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1280px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.meta,.note,.empty{color:var(--muted)}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f8fa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.chart{position:relative;height:260px;margin:8px 0}
.v-pass{color:var(--pass)}.v-blocked{color:var(--blocked)}.v-overridden{color:var(--overridden)}.v-error{color:var(--error)}
form#filters{display:flex;flex-wrap:wrap;gap:12px;align-items:end;border:1px solid var(--line);border-radius:6px;padding:8px 12px;position:sticky;top:0;background:var(--bg);z-index:1}
form#filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
tr[hidden]{display:none}`,P=`
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
})();`;function U(t,r){let d=t.counts,s=[...new Set(t.chartRuns.map(e=>e.r).filter(Boolean))].sort(),u=[...new Set(t.chartRuns.flatMap(e=>e.m))].sort(),p=e=>`<option value="${c(e)}">${c(e)}</option>`,i=Object.fromEntries(j.map(e=>[e,t.chartRuns.filter(b=>b.v===e).length])),n=[d.malformed?`${d.malformed} malformed`:"",d.foreign?`${d.foreign} not DriftGuard's`:"",d.unreadable?`${d.unreadable} unreadable`:"",d.outOfRange?`${d.outOfRange} before the period`:""].filter(Boolean).join(", "),a={runs:t.chartRuns,verdicts:j,janitor:S},l=`
<h1>DriftGuard governance report</h1>
<p class="meta">Generated ${g(t.generatedAt)}${t.since?`, runs of the last ${c(t.since)}`:""} from ${d.artifacts} audit artifacts and ${d.journals} janitor journals${n?`; files skipped: <span id="skipped">${c(n)}</span>`:""}.</p>
<div class="cards">
${j.map(e=>`<div class="card"><span class="v-${e}">${e}</span><b id="count-${e}">${i[e]}</b></div>`).join(`
`)}
<div class="card">janitor deleted<b id="count-deleted">${t.janitorTotals.deleted}</b></div>
<div class="card">overrides refused<b id="count-refused">${t.overrides.filter(e=>e.decision==="refused").length}</b></div>
</div>
<form id="filters" hidden>
<label>Repository<select id="f-repo"><option value="">all</option>${s.map(p).join("")}</select></label>
<label>Module<select id="f-module"><option value="">all</option>${u.map(p).join("")}</select></label>
<label>From<input type="date" id="f-from"></label>
<label>To<input type="date" id="f-to"></label>
<button type="reset">Clear</button>
<span class="meta"><span id="runs-shown">${t.runs.length}</span> runs listed</span>
</form>

<h2 id="runs-over-time">Runs over time</h2>
<div class="chart"><canvas id="chart-runs" aria-label="Runs per day by verdict" role="img"></canvas></div>
<h3>Runs</h3>
${h("runs",[{head:"started",cell:e=>g(e.at)},{head:"run",cell:y},{head:"event",cell:e=>c(e.event)},{head:"repository",cell:e=>`${c(e.repository)}${e.pullRequest?` #${e.pullRequest}`:""}`},{head:"modules",cell:e=>c(e.modules.join(", "))},{head:"verdict",cell:e=>`<span class="v-${e.verdict}">${e.verdict}</span>${e.dryRun?" (dry run)":""}`},{head:"duration",cell:e=>T(e.durationMs),numeric:!0}],t.runs,e=>m(e,e.modules),R(t,t.runs.length,"runs"))}
<h3>Slowest steps</h3>
${h("slow-steps",[{head:"module",cell:e=>c(e.module)},{head:"duration",cell:e=>T(e.durationMs),numeric:!0},{head:"effect",cell:e=>c(e.effect)},{head:"repository",cell:e=>c(e.repository)},{head:"run",cell:y}],t.slowSteps,e=>m(e,[e.module]))}

<h2 id="pr-check">Pull request check</h2>
<div class="grid">
<div><h3>Most frequent undocumented settings</h3>${D("top-settings","setting",t.topSettings)}</div>
<div><h3>Repositories</h3>${D("top-repositories","repository",t.topRepositories)}</div>
<div><h3>Files</h3>${D("top-files","file",t.topFiles)}</div>
</div>
<h3>Undocumented settings found</h3>
${h("doc-findings",[{head:"started",cell:e=>g(e.at)},{head:"setting",cell:e=>`<code>${c(e.setting)}</code>`},{head:"file",cell:e=>`<code>${c(e.path)}${e.line?`:${e.line}`:""}</code>`},{head:"repository",cell:e=>`${c(e.repository)}${e.pullRequest?` #${e.pullRequest}`:""}`},{head:"rule",cell:e=>c(e.rule)},{head:"severity",cell:e=>c(e.severity)},{head:"run",cell:y}],t.docFindings,e=>m(e,["doc_sync"]),R(t,t.docFindings.length,"docFindings"))}
<h3>Overrides granted and refused</h3>
${h("overrides",[{head:"started",cell:e=>g(e.at)},{head:"who",cell:e=>c(e.who)},{head:"decision",cell:e=>`<span class="v-${e.decision==="granted"?"overridden":"blocked"}">${e.decision}</span>`},{head:"why / refusing rule",cell:e=>c(e.why)},{head:"repository",cell:e=>`${c(e.repository)}${e.pullRequest?` #${e.pullRequest}`:""}`},{head:"run",cell:y}],t.overrides,e=>m(e,["override"]),R(t,t.overrides.length,"overrides"))}

<h2 id="janitor">Janitor</h2>
<div class="chart"><canvas id="chart-janitor" aria-label="Janitor resources per day by decision" role="img"></canvas></div>
<div class="cards">${S.map(e=>`<div class="card">${e}<b id="janitor-${e}">${t.janitorTotals[e]}</b></div>`).join("")}</div>
<div class="grid">
<div><h3>By provider, account and reason</h3>${h("janitor-reasons",[{head:"provider",cell:e=>c(e[0])},{head:"account",cell:e=>c(e[1])},{head:"reason (N: a time)",cell:e=>c(e[2])},{head:"resources",cell:e=>String(e[3]),numeric:!0}],t.janitorByReason)}</div>
<div><h3>Skipped run after run</h3>${h("persistent-skips",[{head:"resource",cell:e=>`<code>${c(e.resource)}</code>`},{head:"runs",cell:e=>String(e.runs),numeric:!0},{head:"since",cell:e=>g(e.first)},{head:"last reason",cell:e=>`<a href="${M(e.file)}">${c(e.reason)}</a>`}],t.persistentSkips)}</div>
</div>
<h3>Decisions</h3>
${h("janitor-rows",[{head:"started",cell:e=>g(e.at)},{head:"decision",cell:e=>c(e.status)},{head:"provider",cell:e=>c(e.provider)},{head:"account",cell:e=>c(e.account)},{head:"region",cell:e=>c(e.region)},{head:"resource",cell:e=>`<code>${c(e.type)} ${c(e.resource)}</code>`},{head:"reason",cell:e=>c(e.reason)},{head:"run",cell:y}],t.janitor,e=>m(e,["janitor"]),R(t,t.janitor.length,"janitor"))}
<h3>Journals of live runs</h3>
${h("journals",[{head:"opened",cell:e=>g(e.opened)},{head:"run",cell:e=>`<a href="${M(e.file)}">${c(e.runId)}</a>`},{head:"actor",cell:e=>c(e.actor)},{head:"finished",cell:e=>e.closed?"yes":"<b>no (interrupted)</b>"},{head:"deleted",cell:e=>String(e.deleted),numeric:!0},{head:"failed",cell:e=>String(e.failed),numeric:!0},{head:"unconfirmed",cell:e=>String(e.unconfirmed),numeric:!0}],t.journals,e=>m({file:e.file,runId:e.runId,at:e.opened,repository:""},["janitor"]))}

<h2 id="drift">Drift</h2>
<div class="chart"><canvas id="chart-drift" aria-label="Drifted stacks per environment and region" role="img"></canvas></div>
<h3>Stacks checked</h3>
${h("drift-rows",[{head:"started",cell:e=>g(e.at)},{head:"environment",cell:e=>c(e.environment)},{head:"region",cell:e=>c(e.region)},{head:"stack",cell:e=>c(e.stack)},{head:"status",cell:e=>c(e.status)},{head:"changes",cell:e=>String(e.changes),numeric:!0},{head:"run",cell:y}],t.drift,e=>m(e,["drift"]),R(t,t.drift.length,"drift"))}
<h3>Time to remediation</h3>
${h("remediations",[{head:"stack",cell:e=>c(e.stack)},{head:"drifted since",cell:e=>g(e.driftedAt)},{head:"clean at",cell:e=>e.cleanAt?g(e.cleanAt):"still drifted"},{head:"time",cell:e=>e.ms===void 0?"":T(e.ms),numeric:!0}],t.remediations)}
<noscript><p class="note">The charts and filters need JavaScript; every table above is complete without it.</p></noscript>`,f=e=>`'sha256-${ye("sha256").update(e).digest("base64")}'`;return`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ${f(r)} ${f(P)}; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>DriftGuard governance report</title>
<style>${we}</style>
</head>
<body>
${l}
<script type="application/json" id="dashboard-data">${Re(a)}</script>
<script>${r}</script>
<script>${P}</script>
</body>
</html>
`}async function We(t){let r=t.since===void 0?void 0:O(t.since);if(t.since!==void 0&&r===void 0)throw new k("usage",`--since must be a duration such as "30d" or "12h", got "${t.since}"`);let d=V(t.auditDir),s=V(t.out),u=await xe(d).catch(()=>{});if(!u?.isDirectory())throw new k("usage",`--audit-dir ${t.auditDir}: ${u?"not a folder":"no such folder"}`);let p=new x({sinceMs:r,since:t.since,now:t.now,rowLimit:t.rowLimit}),i=await z(p,{dir:d,linkBase:G(s)}),n=p.build(),a=U(n,L());try{await $e(G(s),{recursive:!0}),await je(s,a)}catch(l){throw new k("io_failed",`cannot write the report ${t.out}: ${l.message}`,{cause:l})}return{model:n,files:i,bytes:Buffer.byteLength(a),out:s}}export{We as buildReport};
