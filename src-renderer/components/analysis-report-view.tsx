/*
 * One analysis report, DebugDiag-style, summary first: the dump's header, the findings (severity, description,
 * threads, recommendation), top threads by CPU, identical stacks, then every thread as a collapsible group with
 * its frames (module!function+offset and how each was found; scanned frames greyed), locks and wait chains, the
 * .NET section, modules, the dump's quality notes and the redaction count. Everything shown is the host's
 * redacted report; React escapes every string, which are the dumped program's words.
 */
import { memo, useState, type ReactNode } from 'react';
import { frameText, type AnalysisReport, type ReportFrame, type ReportSeverity, type ReportThread } from '../../src-shared/model/analysis-report';
import { formatDurationMs } from '../format/dump-format';

const TRUST_LABEL: Record<ReportFrame['trust'], string> = { context: 'registers', cfi: 'CFI', frame_pointer: 'frame pointer', scan: 'scanned' };

function Severity({ value }: { value: ReportSeverity }) {
  return <span className={`analysis-sev sev-${value}`}>{value}</span>;
}

const threadLabel = (t: { tid: number; name: string | null }) => `${t.tid}${t.name ? ` (${t.name})` : ''}`;

const ThreadItem = memo(function ThreadItem({ thread }: { thread: ReportThread }) {
  // Error threads start open (as the HTML page); frames are rendered only once a thread is opened.
  const [open, setOpen] = useState(thread.classification.severity === 'error');
  const c = thread.classification;
  return (
    <li>
      <details open={open} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)} aria-label={`Thread ${threadLabel(thread)}`}>
        <summary>
          <Severity value={c.severity} /> Thread {threadLabel(thread)}: {c.summary}
        </summary>
        {open && (
          <>
            <ol className="analysis-frames" aria-label={`Frames of thread ${thread.tid}`} start={0}>
              {thread.frames.map((f) => (
                <li key={f.index} className={f.trust === 'scan' ? 'frame-scan' : undefined}>
                  <span className="mono">{frameText(f)}</span> <span className="analysis-muted">[{TRUST_LABEL[f.trust]}]</span>
                </li>
              ))}
            </ol>
            {thread.frames.length === 0 && <p className="analysis-muted">No frames were recovered.</p>}
            <p className="analysis-muted">
              {thread.stopReason}
              {thread.stopSignal ? `; stopped by ${thread.stopSignal.name}` : ''}
              {thread.userMs !== null ? `; CPU ${formatDurationMs((thread.userMs ?? 0) + (thread.kernelMs ?? 0))}` : ''}
            </p>
          </>
        )}
      </details>
    </li>
  );
});

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="analysis-section" aria-label={title}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

export function AnalysisReportView({ report }: { report: AnalysisReport }) {
  const h = report.header;
  const redactionKinds = [...new Set(report.redactions.map((r) => r.kind))];
  return (
    <div className="analysis-report">
      <dl className="analysis-header">
        <dt>Process</dt>
        <dd>
          {h.process} (PID {h.pid}
          {h.ppid !== null ? `, parent ${h.ppid}` : ''})
        </dd>
        <dt>Command line</dt>
        <dd className="mono">{h.commandLine ?? 'not recorded'}</dd>
        <dt>Dump</dt>
        <dd>
          {h.dumpFile}: {h.dumpFormat === 'elf-core' ? 'Linux core' : 'Windows minidump'}, {h.dumpKind}, {h.threadCount} threads, {h.moduleCount} modules
        </dd>
        <dt>System</dt>
        <dd>
          {h.os.family}
          {h.os.version ? ` ${h.os.version}` : ''}
          {h.os.cpuCount ? `, ${h.os.cpuCount} CPUs` : ''}
          {h.uptimeMs !== null ? `; the process had run ${formatDurationMs(h.uptimeMs)}` : ''}
        </dd>
        <dt>Redactions</dt>
        <dd>
          {report.redactions.length === 0 ? 'nothing needed masking' : `${report.redactions.length} ${report.redactions.length === 1 ? 'value' : 'values'} masked (${redactionKinds.join(', ')})`}; the dump itself still holds every secret.
        </dd>
      </dl>

      <Section title="Findings">
        <ul className="analysis-findings">
          {report.findings.map((f, i) => (
            <li key={i} className={`analysis-finding finding-${f.severity}`}>
              <div>
                <Severity value={f.severity} /> <strong>{f.title}</strong>
                {f.threads.length > 0 && <span className="analysis-muted"> — threads {f.threads.join(', ')}</span>}
              </div>
              <p>{f.description}</p>
              <p>
                <span className="analysis-muted">Recommendation:</span> {f.recommendation}
              </p>
            </li>
          ))}
        </ul>
      </Section>

      <Section title="Top threads by CPU">
        {report.topCpuThreads.length ? (
          <table className="analysis-table" aria-label="Top threads by CPU">
            <thead>
              <tr>
                <th scope="col">Thread</th>
                <th scope="col">User</th>
                <th scope="col">Kernel</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {report.topCpuThreads.map((t) => (
                <tr key={t.tid}>
                  <td>{threadLabel(t)}</td>
                  <td>{formatDurationMs(t.userMs)}</td>
                  <td>{formatDurationMs(t.kernelMs)}</td>
                  <td>{formatDurationMs(t.totalMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="analysis-muted">{report.cpuNote ?? 'No thread used CPU time.'}</p>
        )}
      </Section>

      {report.stackGroups.length > 0 && (
        <Section title="Identical stacks">
          <ul>
            {report.stackGroups.map((g, i) => (
              <li key={i}>
                {g.summary} <span className="analysis-muted">(threads {g.tids.join(', ')})</span>
              </li>
            ))}
          </ul>
        </Section>
      )}

      <Section title={`Threads (${report.threads.length})`}>
        <ul className="analysis-threads" aria-label="Threads">
          {report.threads.map((t) => (
            <ThreadItem key={t.tid} thread={t} />
          ))}
        </ul>
      </Section>

      {(report.locks.length > 0 || report.waitChains.length > 0) && (
        <Section title="Locks">
          <ul>
            {report.locks.map((l, i) => (
              <li key={i}>
                {l.kind} <span className="mono">{l.address}</span>: owner {l.ownerTid ?? 'not determined'}, waiters {l.waiterTids.join(', ') || 'none'} ({l.confidence}). {l.note}
              </li>
            ))}
            {report.waitChains.map((c, i) => (
              <li key={`chain-${i}`}>
                {c.deadlock ? 'Deadlock: ' : 'Wait chain: '}
                {c.tids.join(' → ')}
                {c.deadlock ? ` → ${c.tids[0]}` : ''}
              </li>
            ))}
          </ul>
        </Section>
      )}

      {(report.dotnet.detected || report.dotnet.threads.length > 0) && (
        <Section title=".NET">
          <p>
            {report.dotnet.detected ? `${report.dotnet.runtime} loaded (${report.dotnet.module}${report.dotnet.version ? ` ${report.dotnet.version}` : ''}).` : 'No .NET runtime module, but threads carry .NET names.'}
          </p>
          {report.dotnet.canSay.length > 0 && (
            <>
              <p className="analysis-muted">This report can say:</p>
              <ul>{report.dotnet.canSay.map((s, i) => <li key={i}>{s}</li>)}</ul>
              <p className="analysis-muted">It cannot say:</p>
              <ul>{report.dotnet.cannotSay.map((s, i) => <li key={i}>{s}</li>)}</ul>
            </>
          )}
          {report.dotnet.nextStep && <p>Next step: {report.dotnet.nextStep}</p>}
        </Section>
      )}

      <Section title={`Modules (${report.modules.length})`}>
        <details>
          <summary>Show the {report.modules.length} modules</summary>
          <table className="analysis-table" aria-label="Modules">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Base</th>
                <th scope="col">Identity</th>
                <th scope="col">Unwind data</th>
                <th scope="col">Path</th>
              </tr>
            </thead>
            <tbody>
              {report.modules.map((m, i) => (
                <tr key={i}>
                  <td>{m.name}</td>
                  <td className="mono">{m.base}</td>
                  <td className="mono">{m.identity ?? '—'}</td>
                  <td>{m.unwindSource ?? '—'}</td>
                  <td className="mono">{m.path}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </Section>

      <Section title="Dump quality">
        {report.qualityNotes.length ? (
          <ul>{report.qualityNotes.map((n, i) => <li key={i}>{n}</li>)}</ul>
        ) : (
          <p className="analysis-muted">No notes: every stack ended where it should.</p>
        )}
      </Section>
    </div>
  );
}
