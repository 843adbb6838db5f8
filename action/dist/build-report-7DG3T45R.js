import { createRequire as __dgCreateRequire } from 'node:module'; import { fileURLToPath as __dgFileURLToPath } from 'node:url'; const require = __dgCreateRequire(import.meta.url); const __dgFilename = __dgFileURLToPath(import.meta.url);
import{a as M}from"./chunk-ROW4H4N5.js";import{b as q,c as N}from"./chunk-FAXUCEHH.js";import{g as u,m as b,n as C,o as F,p as w,q as m,u as L,v as B}from"./chunk-EPQIHWJ7.js";import{b as x}from"./chunk-PV7WERUU.js";import"./chunk-YG2NS7FC.js";import{mkdir as Me,stat as Je,writeFile as Oe}from"node:fs/promises";import{dirname as Q,resolve as ee}from"node:path";import{existsSync as re,readFileSync as ne}from"node:fs";import{createRequire as ie}from"node:module";import{dirname as _,join as P}from"node:path";import{fileURLToPath as se}from"node:url";var U="chart.umd.min.js";function G(){let t=_(se(import.meta.url)),r=P(t,"vendor",U),o=re(r)?r:P(_(ie(import.meta.url).resolve("chart.js")),U);return ne(o,"utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/,`
`).replace(/<\/(script)/gi,"<\\/$1")}var z=["pass","blocked","overridden","error"],T=["deleted","planned","kept","skipped","failed"],V=/^([a-z]+)\/([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/,ae=/^(\S+) (\S+) (.+) \(([^/)]+)(?:\/([^)]+))?\)$/;function oe(t){return t.outcome==="error"?"error":t.outcome==="blocked"?"blocked":t.steps.some(r=>r.effect==="overridden")?"overridden":"pass"}var de=t=>t.replace(/ \([^)]*\)/g,"").replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g,"T").replace(/\b\d+(?:ms|[smhdw])(?:\d+(?:ms|[smhdw]))*\b/g,"N"),j=(t,r,o=1)=>t.set(r,(t.get(r)??0)+o),S=(t,r)=>[...t].sort((o,s)=>s[1]-o[1]||(o[0]<s[0]?-1:1)).slice(0,r),ce=(t,r)=>t.at<r.at?1:t.at>r.at?-1:0,A=class{constructor(r){this.options=r}options;skipped={malformed:0,foreign:0,outOfRange:0,unreadable:0};artifacts=0;runs=[];steps=[];docFindings=[];settings=new Map;repositories=new Map;files=new Map;overrides=[];janitor=[];janitorTotals={deleted:0,planned:0,kept:0,skipped:0,failed:0};janitorReasons=new Map;skips=new Map;journals=[];drift=[];observations=[];chartRuns=[];inRange(r){return this.options.sinceMs===void 0?!0:Date.parse(r)>=this.options.now.getTime()-this.options.sinceMs}addArtifact(r,o){if(!this.inRange(r.startedAt)){this.skipped.outOfRange++;return}this.artifacts++;let s={file:o,runId:r.runId,at:r.startedAt,repository:r.repository??""},l=oe(r);this.runs.push({...s,event:r.event,pullRequest:r.pullRequest,actor:r.actor,verdict:l,dryRun:r.dryRun,modules:r.steps.map(i=>i.module),durationMs:r.durationMs});let p={d:r.startedAt.slice(0,10),r:s.repository,m:r.steps.map(i=>i.module),v:l};for(let i of r.steps){this.steps.push({...s,module:i.module,durationMs:i.durationMs,effect:i.effect});let n=i.outcome;if(i.module==="doc_sync")for(let a of n.findings)this.docFindings.push({...s,pullRequest:r.pullRequest,setting:a.title,path:a.file??"",line:a.line,rule:a.rule,severity:a.severity}),j(this.settings,a.title),s.repository&&j(this.repositories,s.repository),a.file&&j(this.files,a.file);else if(i.module==="override")for(let a of n.decisions){if(a.decision!=="granted"&&a.decision!=="refused")continue;let c=/by @(\S+)$/.exec(a.subject)?.[1]??r.actor;this.overrides.push({...s,pullRequest:r.pullRequest,who:c,decision:a.decision,why:a.reason})}else i.module==="janitor"?p.j=this.addJanitor(s,n):i.module==="drift"&&(p.x=this.addDrift(s,n.data))}this.chartRuns.push(p)}addJanitor(r,o){let s=o.findings.filter(n=>n.rule==="janitor.skip").map(n=>({f:n,label:ae.exec(n.title),reason:n.message.replace(/^skipped: /,""),used:!1})),l=new Map;for(let n of o.decisions)V.test(n.subject)&&l.set(n.subject,n);let p=[0,0,0,0,0],i=n=>{if(this.janitor.push({...r,...n}),this.janitorTotals[n.status]++,p[T.indexOf(n.status)]++,j(this.janitorReasons,JSON.stringify([n.provider,n.account,n.status==="deleted"?"deleted":de(n.reason)])),n.status==="skipped"){let a=`${n.provider}/${n.account}/${n.region}/${n.type}/${n.resource}`,c=this.skips.get(a)??{resource:a,runs:0,first:r.at,last:r.at,reason:n.reason,file:r.file,seen:new Set};c.seen.has(r.runId)||(c.seen.add(r.runId),c.runs++),r.at<c.first&&(c.first=r.at),r.at>=c.last&&Object.assign(c,{last:r.at,reason:n.reason,file:r.file}),this.skips.set(a,c)}};for(let[n,a]of l){let[,c,f,e,y,te]=V.exec(n),D=a.decision==="deleted"?"deleted":a.decision==="delete"?"planned":a.decision==="not deleted"?"skipped":a.decision==="delete failed"?"failed":"kept";if(D==="kept"){let I=s.find(R=>!R.used&&R.label&&R.label[1]===c&&R.label[2]===y&&R.label[4]===f&&R.reason===a.reason);I&&(I.used=!0,D="skipped")}i({provider:c,account:f,region:e,type:y,resource:te,status:D,reason:a.reason})}for(let n of s){if(n.used)continue;let[,a="",c="",f=n.f.title,e="",y=""]=n.label??[];i({provider:a,account:e,region:y,type:c,resource:f,status:"skipped",reason:n.reason})}return p}addDrift(r,o){let s=Array.isArray(o?.stacks)?o.stacks:[],l={};for(let p of s){if(typeof p!="object"||p===null)continue;let i=p;if(typeof i.fingerprint!="string"||typeof i.status!="string")continue;let[n="",a="",...c]=i.fingerprint.split("/"),f=Array.isArray(i.drift)?i.drift.length:0,e=i.status==="drift"&&f>0;this.drift.push({...r,environment:n,region:a,stack:c.join("/")||i.fingerprint,status:e?"drift":i.status==="drift"?"clean":i.status,changes:f}),e?l[`${n}/${a}`]=(l[`${n}/${a}`]??0)+1:`${n}/${a}`in l||(l[`${n}/${a}`]=0),i.status!=="error"&&this.observations.push({stack:i.fingerprint,at:r.at,drifted:e})}return l}addJournal(r,o){let s=r.find(e=>e.kind==="open");if(!s){this.skipped.foreign++;return}if(!this.inRange(s.at)){this.skipped.outOfRange++;return}let l=new Set,p=new Set,i=0,n=0;for(let e of r)e.kind==="intent"&&e.subject&&l.add(e.subject),e.kind==="result"&&e.subject&&(p.add(e.subject),(e.result==="deleted"||e.result==="gone"||e.result==="destroyed")&&i++,e.result==="failed"&&n++);let a=r.some(e=>e.kind==="close"),f=r.some(e=>e.kind==="accounted")?0:[...l].filter(e=>!p.has(e)).length;this.journals.push({file:o,runId:s.runId,actor:s.actor,opened:s.at,closed:a,deleted:i,failed:n,unconfirmed:f})}build(){let r=this.options.rowLimit??500,o=i=>i.sort(ce).slice(0,r),s=[],l=new Map;for(let i of this.observations)(l.get(i.stack)??l.set(i.stack,[]).get(i.stack)).push(i);for(let[i,n]of l){n.sort((c,f)=>c.at<f.at?-1:c.at>f.at?1:0);let a;for(let c of n)c.drifted&&a===void 0?a=c.at:!c.drifted&&a!==void 0&&(s.push({stack:i,driftedAt:a,cleanAt:c.at,ms:Date.parse(c.at)-Date.parse(a)}),a=void 0);a!==void 0&&s.push({stack:i,driftedAt:a})}s.sort((i,n)=>i.driftedAt<n.driftedAt?1:-1);let p={runs:this.runs.length,docFindings:this.docFindings.length,overrides:this.overrides.length,janitor:this.janitor.length,drift:this.drift.length};return{generatedAt:this.options.now.toISOString(),since:this.options.since,counts:{artifacts:this.artifacts,journals:this.journals.length,...this.skipped},runs:o(this.runs),slowSteps:[...this.steps].sort((i,n)=>n.durationMs-i.durationMs).slice(0,15),docFindings:o(this.docFindings),topSettings:S(this.settings,15),topRepositories:S(this.repositories,15),topFiles:S(this.files,15),overrides:o(this.overrides),janitor:o(this.janitor),janitorTotals:this.janitorTotals,janitorByReason:S(this.janitorReasons,20).map(([i,n])=>[...JSON.parse(i),n]),persistentSkips:[...this.skips.values()].filter(i=>i.runs>=2).sort((i,n)=>n.runs-i.runs||(i.resource<n.resource?-1:1)).slice(0,50).map(({seen:i,...n})=>n),journals:this.journals.sort((i,n)=>i.opened<n.opened?1:-1).slice(0,r),drift:o(this.drift),remediations:s.slice(0,r),chartRuns:this.chartRuns.sort((i,n)=>i.d<n.d?-1:i.d>n.d?1:0),rowLimit:r,totals:p}}};import{closeSync as ge,fstatSync as me,openSync as be,readFileSync as ve}from"node:fs";import{opendir as ye}from"node:fs/promises";import{join as Re,relative as ke,sep as we}from"node:path";var le=m({rule:u(),title:u(),message:u().catch(""),severity:u().catch("warning"),file:u().optional().catch(void 0),line:b().optional().catch(void 0)}),ue=m({subject:u(),decision:u(),reason:u().catch("")}),pe=m({kind:u(),target:u(),reason:u().catch(""),status:u()}),fe=m({verdict:u(),summary:u().catch(""),findings:w(le).catch([]),actions:w(pe).catch([]),decisions:w(ue).catch([]),data:L(u(),F()).optional().catch(void 0)}),he=m({module:u(),verdict:u(),effect:u(),startedAt:u().catch(""),durationMs:b().catch(0),outcome:fe}),Z=m({format:b().int().min(1).max(1),runId:u(),event:u(),repository:u().optional().catch(void 0),pullRequest:b().optional().catch(void 0),actor:u().catch(""),dryRun:C().catch(!1),startedAt:M.datetime({offset:!0}),durationMs:b().catch(0),outcome:u(),exitCode:b().catch(-1),steps:w(he)}),H=m({at:M.datetime({offset:!0}),kind:B(["open","intent","result","close","accounted"]),runId:u(),actor:u().catch(""),op:u().optional().catch(void 0),subject:u().optional().catch(void 0),result:u().optional().catch(void 0),reason:u().optional().catch(void 0)});var $e=4,xe=64*1024*1024;async function*Y(t,r=0){let o=await ye(t);for await(let s of o){if(s.name.startsWith("."))continue;let l=Re(t,s.name);s.isDirectory()?r<$e&&(yield*Y(l,r+1)):s.isFile()&&/\.jsonl?$/.test(s.name)&&(yield l)}}async function K(t,r){let o=0;for await(let s of Y(r.dir))o++,Se(t,s,ke(r.linkBase,s).split(we).join("/"));return o}function je(t){let r=be(t,"r");try{return me(r).size>xe?void 0:ve(r,"utf8")}finally{ge(r)}}function Se(t,r,o){let s;try{s=je(r)}catch{t.skipped.unreadable++;return}if(s===void 0){t.skipped.malformed++;return}if(r.endsWith(".jsonl")){let i=[],n=0;for(let a of s.split(`
`))if(a.trim())try{let c=H.safeParse(JSON.parse(a));c.success?i.push(c.data):n++}catch{n++}if(i.length===0){n>0?t.skipped.malformed++:t.skipped.foreign++;return}t.addJournal(i,o);return}let l;try{l=JSON.parse(s)}catch{t.skipped.malformed++;return}let p=Z.safeParse(l);if(!p.success){t.skipped.foreign++;return}t.addArtifact(p.data,o)}import{createHash as Ae}from"node:crypto";function d(t){return String(t??"").replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}]/gu,r=>`\\u{${r.codePointAt(0).toString(16)}}`).replace(/[&<>"']/g,r=>`&#${r.charCodeAt(0)};`)}function ze(t){return JSON.stringify(t).replace(/</g,"\\u003c").replace(/>/g,"\\u003e").replace(/&/g,"\\u0026").replace(/\u2028/g,"\\u2028").replace(/\u2029/g,"\\u2029")}function E(t){return d(t.split("/").map(r=>r===".."||r==="."?r:encodeURIComponent(r)).join("/"))}var Te=t=>t.slice(0,10),g=t=>d(t.replace("T"," ").replace(/\.\d+Z$/,"Z")),J=t=>t<1e3?`${Math.round(t)}ms`:N(t);function v(t,r){return` data-repo="${d(t.repository)}" data-modules="${d(` ${r.join(" ")} `)}" data-day="${d(Te(t.at))}"`}function k(t){return`<a href="${E(t.file)}">${d(t.runId)}</a>`}function h(t,r,o,s=()=>"",l=""){if(o.length===0)return`<p class="empty" id="${t}-empty">Nothing here in these artifacts.</p>`;let p=r.map(n=>`<th${n.numeric?' class="num"':""}>${n.head}</th>`).join(""),i=o.map(n=>`<tr${s(n)}>${r.map(a=>`<td${a.numeric?' class="num"':""}>${a.cell(n)}</td>`).join("")}</tr>`).join(`
`);return`<table id="${t}"><thead><tr>${p}</tr></thead><tbody>
${i}
</tbody></table>${l?`<p class="note">${l}</p>`:""}`}function $(t,r,o){let s=t.totals[o];return s>r?`The newest ${r} of ${s} rows are listed; the charts and counts cover all of them.`:""}function O(t,r,o){return h(t,[{head:r,cell:s=>d(s[0])},{head:"findings",cell:s=>String(s[1]),numeric:!0}],o)}var De=`
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--pass:#1a7f37;--blocked:#cf222e;--overridden:#9a6700;--error:#8250df}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1280px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.meta,.note,.empty{color:var(--muted)}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f8fa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.chart{position:relative;height:260px;margin:8px 0}
.v-pass{color:var(--pass)}.v-blocked{color:var(--blocked)}.v-overridden{color:var(--overridden)}.v-error{color:var(--error)}
form#filters{display:flex;flex-wrap:wrap;gap:12px;align-items:end;border:1px solid var(--line);border-radius:6px;padding:8px 12px;position:sticky;top:0;background:var(--bg);z-index:1}
form#filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
tr[hidden]{display:none}`,W=`
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
})();`;function X(t,r){let o=t.counts,s=[...new Set(t.chartRuns.map(e=>e.r).filter(Boolean))].sort(),l=[...new Set(t.chartRuns.flatMap(e=>e.m))].sort(),p=e=>`<option value="${d(e)}">${d(e)}</option>`,i=Object.fromEntries(z.map(e=>[e,t.chartRuns.filter(y=>y.v===e).length])),n=[o.malformed?`${o.malformed} malformed`:"",o.foreign?`${o.foreign} not DriftGuard's`:"",o.unreadable?`${o.unreadable} unreadable`:"",o.outOfRange?`${o.outOfRange} before the period`:""].filter(Boolean).join(", "),a={runs:t.chartRuns,verdicts:z,janitor:T},c=`
<h1>DriftGuard governance report</h1>
<p class="meta">Generated ${g(t.generatedAt)}${t.since?`, runs of the last ${d(t.since)}`:""} from ${o.artifacts} audit artifacts and ${o.journals} janitor journals${n?`; files skipped: <span id="skipped">${d(n)}</span>`:""}.</p>
<div class="cards">
${z.map(e=>`<div class="card"><span class="v-${e}">${e}</span><b id="count-${e}">${i[e]}</b></div>`).join(`
`)}
<div class="card">janitor deleted<b id="count-deleted">${t.janitorTotals.deleted}</b></div>
<div class="card">overrides refused<b id="count-refused">${t.overrides.filter(e=>e.decision==="refused").length}</b></div>
</div>
<form id="filters" hidden>
<label>Repository<select id="f-repo"><option value="">all</option>${s.map(p).join("")}</select></label>
<label>Module<select id="f-module"><option value="">all</option>${l.map(p).join("")}</select></label>
<label>From<input type="date" id="f-from"></label>
<label>To<input type="date" id="f-to"></label>
<button type="reset">Clear</button>
<span class="meta"><span id="runs-shown">${t.runs.length}</span> runs listed</span>
</form>

<h2 id="runs-over-time">Runs over time</h2>
<div class="chart"><canvas id="chart-runs" aria-label="Runs per day by verdict" role="img"></canvas></div>
<h3>Runs</h3>
${h("runs",[{head:"started",cell:e=>g(e.at)},{head:"run",cell:k},{head:"event",cell:e=>d(e.event)},{head:"repository",cell:e=>`${d(e.repository)}${e.pullRequest?` #${e.pullRequest}`:""}`},{head:"modules",cell:e=>d(e.modules.join(", "))},{head:"verdict",cell:e=>`<span class="v-${e.verdict}">${e.verdict}</span>${e.dryRun?" (dry run)":""}`},{head:"duration",cell:e=>J(e.durationMs),numeric:!0}],t.runs,e=>v(e,e.modules),$(t,t.runs.length,"runs"))}
<h3>Slowest steps</h3>
${h("slow-steps",[{head:"module",cell:e=>d(e.module)},{head:"duration",cell:e=>J(e.durationMs),numeric:!0},{head:"effect",cell:e=>d(e.effect)},{head:"repository",cell:e=>d(e.repository)},{head:"run",cell:k}],t.slowSteps,e=>v(e,[e.module]))}

<h2 id="pr-check">Pull request check</h2>
<div class="grid">
<div><h3>Most frequent undocumented settings</h3>${O("top-settings","setting",t.topSettings)}</div>
<div><h3>Repositories</h3>${O("top-repositories","repository",t.topRepositories)}</div>
<div><h3>Files</h3>${O("top-files","file",t.topFiles)}</div>
</div>
<h3>Undocumented settings found</h3>
${h("doc-findings",[{head:"started",cell:e=>g(e.at)},{head:"setting",cell:e=>`<code>${d(e.setting)}</code>`},{head:"file",cell:e=>`<code>${d(e.path)}${e.line?`:${e.line}`:""}</code>`},{head:"repository",cell:e=>`${d(e.repository)}${e.pullRequest?` #${e.pullRequest}`:""}`},{head:"rule",cell:e=>d(e.rule)},{head:"severity",cell:e=>d(e.severity)},{head:"run",cell:k}],t.docFindings,e=>v(e,["doc_sync"]),$(t,t.docFindings.length,"docFindings"))}
<h3>Overrides granted and refused</h3>
${h("overrides",[{head:"started",cell:e=>g(e.at)},{head:"who",cell:e=>d(e.who)},{head:"decision",cell:e=>`<span class="v-${e.decision==="granted"?"overridden":"blocked"}">${e.decision}</span>`},{head:"why / refusing rule",cell:e=>d(e.why)},{head:"repository",cell:e=>`${d(e.repository)}${e.pullRequest?` #${e.pullRequest}`:""}`},{head:"run",cell:k}],t.overrides,e=>v(e,["override"]),$(t,t.overrides.length,"overrides"))}

<h2 id="janitor">Janitor</h2>
<div class="chart"><canvas id="chart-janitor" aria-label="Janitor resources per day by decision" role="img"></canvas></div>
<div class="cards">${T.map(e=>`<div class="card">${e}<b id="janitor-${e}">${t.janitorTotals[e]}</b></div>`).join("")}</div>
<div class="grid">
<div><h3>By provider, account and reason</h3>${h("janitor-reasons",[{head:"provider",cell:e=>d(e[0])},{head:"account",cell:e=>d(e[1])},{head:"reason (N: a time)",cell:e=>d(e[2])},{head:"resources",cell:e=>String(e[3]),numeric:!0}],t.janitorByReason)}</div>
<div><h3>Skipped run after run</h3>${h("persistent-skips",[{head:"resource",cell:e=>`<code>${d(e.resource)}</code>`},{head:"runs",cell:e=>String(e.runs),numeric:!0},{head:"since",cell:e=>g(e.first)},{head:"last reason",cell:e=>`<a href="${E(e.file)}">${d(e.reason)}</a>`}],t.persistentSkips)}</div>
</div>
<h3>Decisions</h3>
${h("janitor-rows",[{head:"started",cell:e=>g(e.at)},{head:"decision",cell:e=>d(e.status)},{head:"provider",cell:e=>d(e.provider)},{head:"account",cell:e=>d(e.account)},{head:"region",cell:e=>d(e.region)},{head:"resource",cell:e=>`<code>${d(e.type)} ${d(e.resource)}</code>`},{head:"reason",cell:e=>d(e.reason)},{head:"run",cell:k}],t.janitor,e=>v(e,["janitor"]),$(t,t.janitor.length,"janitor"))}
<h3>Journals of live runs</h3>
${h("journals",[{head:"opened",cell:e=>g(e.opened)},{head:"run",cell:e=>`<a href="${E(e.file)}">${d(e.runId)}</a>`},{head:"actor",cell:e=>d(e.actor)},{head:"finished",cell:e=>e.closed?"yes":"<b>no (interrupted)</b>"},{head:"deleted",cell:e=>String(e.deleted),numeric:!0},{head:"failed",cell:e=>String(e.failed),numeric:!0},{head:"unconfirmed",cell:e=>String(e.unconfirmed),numeric:!0}],t.journals,e=>v({file:e.file,runId:e.runId,at:e.opened,repository:""},["janitor"]))}

<h2 id="drift">Drift</h2>
<div class="chart"><canvas id="chart-drift" aria-label="Drifted stacks per environment and region" role="img"></canvas></div>
<h3>Stacks checked</h3>
${h("drift-rows",[{head:"started",cell:e=>g(e.at)},{head:"environment",cell:e=>d(e.environment)},{head:"region",cell:e=>d(e.region)},{head:"stack",cell:e=>d(e.stack)},{head:"status",cell:e=>d(e.status)},{head:"changes",cell:e=>String(e.changes),numeric:!0},{head:"run",cell:k}],t.drift,e=>v(e,["drift"]),$(t,t.drift.length,"drift"))}
<h3>Time to remediation</h3>
${h("remediations",[{head:"stack",cell:e=>d(e.stack)},{head:"drifted since",cell:e=>g(e.driftedAt)},{head:"clean at",cell:e=>e.cleanAt?g(e.cleanAt):"still drifted"},{head:"time",cell:e=>e.ms===void 0?"":J(e.ms),numeric:!0}],t.remediations)}
<noscript><p class="note">The charts and filters need JavaScript; every table above is complete without it.</p></noscript>`,f=e=>`'sha256-${Ae("sha256").update(e).digest("base64")}'`;return`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ${f(r)} ${f(W)}; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>DriftGuard governance report</title>
<style>${De}</style>
</head>
<body>
${c}
<script type="application/json" id="dashboard-data">${ze(a)}</script>
<script>${r}</script>
<script>${W}</script>
</body>
</html>
`}async function st(t){let r=t.since===void 0?void 0:q(t.since);if(t.since!==void 0&&r===void 0)throw new x("usage",`--since must be a duration such as "30d" or "12h", got "${t.since}"`);let o=ee(t.auditDir),s=ee(t.out),l=await Je(o).catch(()=>{});if(!l?.isDirectory())throw new x("usage",`--audit-dir ${t.auditDir}: ${l?"not a folder":"no such folder"}`);let p=new A({sinceMs:r,since:t.since,now:t.now,rowLimit:t.rowLimit}),i=await K(p,{dir:o,linkBase:Q(s)}),n=p.build(),a=X(n,G());try{await Me(Q(s),{recursive:!0}),await Oe(s,a)}catch(c){throw new x("io_failed",`cannot write the report ${t.out}: ${c.message}`,{cause:c})}return{model:n,files:i,bytes:Buffer.byteLength(a),out:s}}export{st as buildReport};
