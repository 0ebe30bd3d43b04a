/*
 * Dump analysis as it crosses IPC (issue 13, "in the app"): what Analyze / Analyze Dump… answer and what Save as
 * takes. The report is always the REDACTED one (src-shared/model/analysis-report.ts); the host keeps it under a
 * random reportId so Save as names a report the host built, never a file or a report the renderer made up.
 */
import type { AnalysisReport } from '../model/analysis-report';

export type { AnalysisReport } from '../model/analysis-report';

export interface AnalysisView {
  /** The host's handle for this report (Save as, HTML); unguessable, valid while the host keeps the report. */
  reportId: string;
  /** What was analysed: a finished dump job of this session, or a file the user chose. */
  source: { kind: 'job'; jobId: string } | { kind: 'file' };
  /** How long the analysis took. */
  durationMs: number;
  report: AnalysisReport;
}

export type ReportFormat = 'html' | 'json';

/** Analyze Dump…: in the desktop app the host shows its open dialog (path absent); the browser host needs the path. */
export interface AnalyzeFileArgs {
  path?: string;
}

/** The file name Save as proposes (desktop dialog and browser download alike): the dump's name plus what it is. */
export function reportFileName(report: Pick<AnalysisReport, 'header'>, format: ReportFormat): string {
  const base = report.header.dumpFile.replace(/[^\w.-]+/g, '_').slice(0, 120) || 'dump';
  return `${base}.report.${format}`;
}

export interface SaveReportArgs {
  reportId: string;
  format: ReportFormat;
}
