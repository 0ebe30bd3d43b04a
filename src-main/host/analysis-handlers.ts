/*
 * The request handlers of the analysis channels (issue 13): Analyze on a job, Analyze Dump… (the desktop host's
 * open dialog, or the browser host's typed path), Save as through the desktop host's save dialog, and the HTML
 * page of a kept report for the browser host's download. The HTML is rendered here, from the redacted report the
 * host kept, and nowhere else; the JSON the renderer saves is the one it was sent.
 */
import { writeFile } from 'node:fs/promises';
import { renderReportHtml } from '../analysis/report/render-html';
import { reportFileName } from '../../src-shared/ipc/analysis-contract';
import type { AnalysisReport } from '../../src-shared/model/analysis-report';
import type { AppServices } from './app-services';
import { HostRequestError } from './host-request-error';
import type { RequestHandlersFor } from './request-context';

type AnalysisChannel = 'procscope:analyze-job' | 'procscope:analyze-file' | 'procscope:save-report' | 'procscope:render-report-html';

export function reportFileContent(report: AnalysisReport, format: 'html' | 'json'): string {
  return format === 'html' ? renderReportHtml(report) : `${JSON.stringify(report, null, 2)}\n`;
}

export function createAnalysisHandlers(services: AppServices): RequestHandlersFor<AnalysisChannel> {
  const kept = (reportId: string): AnalysisReport => {
    const report = services.analysis.report(reportId);
    if (!report) throw new HostRequestError('invalid-argument', 'That report is no longer held by Procscope; analyse the dump again.');
    return report;
  };
  return {
    'procscope:analyze-job': async ({ jobId }) => services.analysis.analyzeJob(jobId),
    'procscope:analyze-file': async ({ path }, { sender }) => {
      if (services.shell) {
        // The desktop app's renderer never names a file: main asks the user in its own dialog.
        if (path !== undefined) throw new HostRequestError('invalid-argument', 'In the desktop app the dump is chosen in the Open dialog, not given as a path.');
        const chosen = await services.shell.chooseDumpFile(sender.id);
        return chosen === null ? null : services.analysis.analyzeFile(chosen);
      }
      if (path === undefined) throw new HostRequestError('invalid-argument', "Type the dump's absolute path: the browser host has no Open dialog.");
      return services.analysis.analyzeFile(path);
    },
    'procscope:save-report': async ({ reportId, format }, { sender }) => {
      if (!services.shell) throw new HostRequestError('unsupported', 'Save as is a download in the browser host; the desktop app shows a Save dialog.');
      const report = kept(reportId);
      const target = await services.shell.chooseSavePath(reportFileName(report, format), format, sender.id);
      if (target === null) return null;
      try {
        await writeFile(target, reportFileContent(report, format));
      } catch (err) {
        throw new HostRequestError('failed', `The report was not saved to ${target}: ${(err as Error).message}`);
      }
      return target;
    },
    'procscope:render-report-html': async ({ reportId }) => renderReportHtml(kept(reportId)),
  };
}
