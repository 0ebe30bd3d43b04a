/*
 * The report as one self-contained HTML page, rendered from the REDACTED report only: no network, no script (the
 * threads collapse with <details>), the summary first, light and dark through prefers-color-scheme, printable
 * (a closed thread prints as its one-line classification; error threads start open). Every string from the dump
 * is HTML-escaped: thread names, paths and command lines are the dumped program's words. Pure string building.
 */
import { frameText, type AnalysisReport, type ReportFrame, type ReportSeverity, type ReportThread } from '../../../src-shared/model/analysis-report';

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const e = escapeHtml;
const ms = (v: number | null): string => (v === null ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
const time = (v: number | null): string => (v === null ? 'unknown' : new Date(v).toISOString());
const sev = (s: ReportSeverity): string => `<span class="sev ${s}">${s}</span>`;
const threadName = (t: { tid: number; name: string | null }): string => `${t.tid}${t.name ? ` ${e(t.name)}` : ''}`;

const CSS = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1b1b; --muted: #5c5c5c; --line: #d6d6d6; --err: #b3261e; --warn: #8a5a00; --info: #1f5fa8; --code: #f4f4f4; }
@media (prefers-color-scheme: dark) { :root { --bg: #161616; --fg: #e8e8e8; --muted: #a8a8a8; --line: #3a3a3a; --err: #ff8a80; --warn: #ffcc66; --info: #8ab4f8; --code: #222; } }
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
code, .mono, pre { font-family: ui-monospace, Consolas, monospace; font-size: 12.5px; } pre { background: var(--code); padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.sev { font-weight: 600; text-transform: uppercase; font-size: 11px; } .sev.error { color: var(--err); } .sev.warning { color: var(--warn); } .sev.info { color: var(--info); }
.muted { color: var(--muted); } .finding { border-left: 4px solid var(--line); padding: .3rem .8rem; margin: .6rem 0; }
.finding.error { border-color: var(--err); } .finding.warning { border-color: var(--warn); } .finding.info { border-color: var(--info); }
details { border: 1px solid var(--line); border-radius: 4px; margin: .3rem 0; padding: .2rem .6rem; } summary { cursor: pointer; }
.banner { border: 1px solid var(--warn); padding: .4rem .8rem; }
@media print { details { border: none; } details > summary { list-style: none; } body { max-width: none; } }
`;

/** One frame as the CLI prints it (frameText); the module offset and the raw symbol in its tooltip. */
function frameRow(f: ReportFrame): string {
  const tip = [f.module && f.offset ? `${f.module}+${f.offset}` : null, f.mangled].filter(Boolean).join(' · ');
  return `<tr><td class="mono">${f.index}</td><td class="mono"${tip ? ` title="${e(tip)}"` : ''}>${e(frameText(f))}</td><td class="mono">${e(f.pc)}</td><td>${e(f.trust)}</td></tr>`;
}

function threadSection(t: ReportThread): string {
  const c = t.classification;
  const frames = t.frames.length
    ? `<table><thead><tr><th>#</th><th>Frame</th><th>Address</th><th>Found by</th></tr></thead><tbody>${t.frames.map(frameRow).join('')}</tbody></table>`
    : '<p class="muted">No frames.</p>';
  return `<details id="thread-${t.tid}"${c.severity === 'error' ? ' open' : ''}><summary>${sev(c.severity)} Thread ${threadName(t)} — ${e(c.summary)}</summary>
<p>CPU: user ${ms(t.userMs)}, kernel ${ms(t.kernelMs)}${t.syscall !== null ? ` · syscall ${t.syscall}` : ''} · confidence ${e(c.confidence)} · ${e(t.stopReason)}</p>
${t.problems.length ? `<ul>${t.problems.map((p) => `<li>${e(p)}</li>`).join('')}</ul>` : ''}${frames}</details>`;
}

export function renderReportHtml(r: AnalysisReport): string {
  const h = r.header;
  const title = `${h.process} (pid ${h.pid}) — Procscope dump analysis`;
  const findings = r.findings.map((f) => `<div class="finding ${f.severity}">${sev(f.severity)} <strong>${e(f.title)}</strong> <span class="muted">(${e(f.kind)}, confidence ${e(f.confidence)}, weight ${f.weight})</span>
<p>${e(f.description)}</p>${f.threads.length ? `<p>Threads: ${f.threads.map((tid) => `<a href="#thread-${tid}">${tid}</a>`).join(', ')}</p>` : ''}<p><em>Recommendation:</em> ${e(f.recommendation)}</p></div>`).join('\n');
  const cpu = r.topCpuThreads.length
    ? `<table><thead><tr><th>Thread</th><th>User</th><th>Kernel</th><th>Total</th></tr></thead><tbody>${r.topCpuThreads.map((t) => `<tr><td><a href="#thread-${t.tid}">${threadName(t)}</a></td><td>${ms(t.userMs)}</td><td>${ms(t.kernelMs)}</td><td>${ms(t.totalMs)}</td></tr>`).join('')}</tbody></table>`
    : `<p class="muted">${e(r.cpuNote ?? 'No CPU times.')}</p>`;
  const groups = r.stackGroups.length
    ? `<ul>${r.stackGroups.map((g) => `<li><code>${e(g.summary)}</code> <span class="muted">(threads ${g.tids.join(', ')})</span></li>`).join('')}</ul>`
    : '<p class="muted">No two threads share a stack.</p>';
  const locks = r.locks.length
    ? `<table><thead><tr><th>Lock</th><th>Owner</th><th>Waiters</th><th>Confidence</th><th>Note</th></tr></thead><tbody>${r.locks.map((l) => `<tr><td class="mono">${e(l.kind)} ${e(l.address)}</td><td>${l.ownerTid ?? 'not determined'}</td><td>${l.waiterTids.join(', ')}</td><td>${e(l.confidence)}</td><td>${e(l.note)}</td></tr>`).join('')}</tbody></table>`
    : '<p class="muted">No thread waits for a lock whose owner could be read.</p>';
  const chains = r.waitChains.length ? `<ul>${r.waitChains.map((c) => `<li>${c.deadlock ? '<strong>deadlock</strong>: ' : ''}${c.tids.join(' → ')}${c.deadlock ? ` → ${c.tids[0]}` : ''}</li>`).join('')}</ul>` : '';
  const d = r.dotnet;
  const dotnet = d.detected
    ? `<p>Runtime: <code>${e(d.runtime)}</code> (${e(d.module)}${d.version ? `, ${e(d.version)}` : ''})</p><p>This report can say:</p><ul>${d.canSay.map((x) => `<li>${e(x)}</li>`).join('')}</ul><p>It cannot say, without the runtime's DAC:</p><ul>${d.cannotSay.map((x) => `<li>${e(x)}</li>`).join('')}</ul><p><strong>Next step:</strong> ${e(d.nextStep)}</p>`
    : '<p class="muted">No .NET runtime (coreclr, clr, mscorwks) is loaded.</p>';
  const modules = `<table><thead><tr><th>Module</th><th>Base</th><th>Size</th><th>Identity</th><th>Version</th><th>Unwind / names</th><th>Path</th></tr></thead><tbody>${r.modules.map((m) => `<tr><td class="mono">${e(m.name)}</td><td class="mono">${e(m.base)}</td><td>${m.sizeBytes}</td><td class="mono">${e(m.identity ?? '—')}</td><td>${e(m.version ?? '—')}</td><td>${e(m.unwindSource ?? 'none')} / ${e(m.symbolSource ?? 'none')}</td><td class="mono">${e(m.path)}</td></tr>`).join('')}</tbody></table>`;
  const redactionKinds = new Map<string, number>();
  for (const x of r.redactions) redactionKinds.set(x.kind, (redactionKinds.get(x.kind) ?? 0) + 1);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${e(title)}</title><style>${CSS}</style></head><body>
<h1>${e(title)}</h1>
<p class="banner">This report is redacted (${r.redactions.length} value(s) masked) and holds no memory contents. The dump file itself still holds everything the process had in memory, secrets included: share it only as you would the secrets.</p>
<table>
<tr><th>Process</th><td>${e(h.process)} · pid ${h.pid}${h.ppid !== null ? ` · parent ${h.ppid}` : ''}${h.uid !== null ? ` · uid ${h.uid}` : ''}</td></tr>
<tr><th>Command line</th><td class="mono">${e(h.commandLine ?? 'not recorded')}</td></tr>
<tr><th>OS</th><td>${e(h.os.family)}${h.os.version ? ` ${e(h.os.version)}` : ''}${h.os.cpuCount !== null ? ` · ${h.os.cpuCount} CPUs` : ''}</td></tr>
<tr><th>Dump</th><td>${e(h.dumpFile)} · ${e(h.dumpFormat)} · ${e(h.dumpKind)} · written ${e(time(h.dumpTimeMs))}</td></tr>
<tr><th>Uptime</th><td>${h.uptimeMs !== null ? ms(h.uptimeMs) : 'unknown'}${h.processStartTimeMs !== null ? ` (started ${e(time(h.processStartTimeMs))})` : ''}</td></tr>
<tr><th>Threads / modules</th><td>${h.threadCount} / ${h.moduleCount}</td></tr>
</table>
<h2>Summary</h2>
${findings}
<h2>Top threads by CPU</h2>
${cpu}
<h2>Identical stacks</h2>
${groups}
<h2>Locks and wait chains</h2>
${locks}${chains}
<h2>Threads</h2>
${r.threads.map(threadSection).join('\n')}
<h2>.NET</h2>
${dotnet}
<h2>Modules</h2>
${modules}
<h2>Dump quality</h2>
${r.qualityNotes.length ? `<ul>${r.qualityNotes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : '<p class="muted">Nothing missing.</p>'}
<h2>Redactions</h2>
<p>${r.redactions.length} value(s) masked${redactionKinds.size ? `: ${[...redactionKinds].map(([k, n]) => `${e(k)} ×${n}`).join(', ')}` : ''}.</p>
<p class="muted">Generated by ${e(r.generator)} (report schema ${r.schema}).</p>
</body></html>
`;
}
