/*
 * `procscope analyze FILE [--json] [--html OUT] [--symbols DIR]… [--pack PACK]`: reads a Linux core or a Windows minidump
 * offline and prints the redacted analysis report — a text summary, or the JSON with --json — and with --html
 * writes the self-contained HTML page. Runs in the CLI process; the readers read by position, so a multi-GiB dump
 * is never loaded whole. Bad arguments exit 2; a missing, foreign or malformed file exits 1 with one sentence.
 * Progress goes to stderr once an analysis takes longer than a second.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { frameText, type AnalysisReport } from '../../../src-shared/model/analysis-report';
import { buildReport } from '../../analysis/report/build-report';
import { detectDumpKind, openDump } from '../../analysis/report/open-dump';
import { renderReportHtml } from '../../analysis/report/render-html';
import { CliUsageError, type CliCommand, type CliIo } from '../cli-command';

const USAGE = [
  'Usage: procscope analyze FILE [--json] [--html OUT] [--symbols DIR]... [--pack PACK]',
  '',
  '  FILE           a Linux core (ELF) or a Windows minidump (.dmp)',
  '  --json         print the report as JSON instead of the text summary',
  '  --html OUT     also write the report as one self-contained HTML page to OUT',
  '  --symbols DIR  a folder of module files (by build id or name) to unwind and name frames; may repeat',
  '  --pack PACK    the dump\'s analysis pack (default: FILE.pack beside the core or minidump, when there)',
  '',
  'The report is redacted: command-line secrets, tokens, credentials and user names in paths are masked and',
  'counted; it holds no memory contents. The dump itself still holds every secret the process had.',
].join('\n');

export interface AnalyzeArgs {
  file: string;
  json: boolean;
  htmlOut: string | null;
  symbolFolders: string[];
  packPath: string | null;
}

export function parseAnalyzeArgs(args: readonly string[], cwd: string): AnalyzeArgs {
  let file: string | null = null;
  let json = false;
  let htmlOut: string | null = null;
  const symbolFolders: string[] = [];
  let packPath: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const valueOf = (name: string): string => {
      const v = a === name ? args[++i] : a.slice(name.length + 1);
      if (!v) throw new CliUsageError(`${name} needs a ${name === '--symbols' ? 'folder' : 'file'}.`);
      return resolve(cwd, v);
    };
    if (a === '--json') json = true;
    else if (a === '--html' || a.startsWith('--html=')) {
      if (htmlOut !== null) throw new CliUsageError('--html given twice.');
      htmlOut = valueOf('--html');
    } else if (a === '--symbols' || a.startsWith('--symbols=')) symbolFolders.push(valueOf('--symbols'));
    else if (a === '--pack' || a.startsWith('--pack=')) {
      if (packPath !== null) throw new CliUsageError('--pack given twice.');
      packPath = valueOf('--pack');
    }
    else if (a.startsWith('-') && a !== '-') throw new CliUsageError(`unknown option '${a}'.`);
    else {
      if (file !== null) throw new CliUsageError(`one dump file at a time (got '${file}' and '${a}').`);
      file = resolve(cwd, a);
    }
  }
  if (file === null) throw new CliUsageError('which dump? Give the path of a core or a .dmp file.');
  return { file, json, htmlOut, symbolFolders, packPath };
}

function textReport(r: AnalysisReport): string {
  const h = r.header;
  const lines = [
    `${h.process} (pid ${h.pid}) — ${h.dumpFormat}, ${h.dumpKind}, ${h.threadCount} threads, ${h.moduleCount} modules`,
    `Command line: ${h.commandLine ?? 'not recorded'}`,
    '',
    'Findings:',
    ...r.findings.map((f) => `  [${f.severity}] ${f.title}${f.threads.length ? ` (threads ${f.threads.join(', ')})` : ''}\n      ${f.description}\n      → ${f.recommendation}`),
  ];
  if (r.stackGroups.length) lines.push('', 'Identical stacks:', ...r.stackGroups.map((g) => `  ${g.summary}`));
  lines.push('', 'Threads:');
  for (const t of r.threads) {
    lines.push(`  ${t.tid}${t.name ? ` ${t.name}` : ''}: ${t.classification.summary}`);
    for (const f of t.frames.slice(0, 8)) lines.push(`      #${f.index} ${frameText(f)} [${f.trust}]`);
    if (t.frames.length > 8) lines.push(`      … ${t.frames.length - 8} more`);
  }
  if (r.qualityNotes.length) lines.push('', 'Dump quality:', ...r.qualityNotes.map((n) => `  - ${n}`));
  lines.push('', `Redactions: ${r.redactions.length}. Use --json for every field, --html OUT for a page to attach to a ticket.`);
  return lines.join('\n') + '\n';
}

/** Writes a progress line to stderr if the analysis is still running after a second, then every 5 s. */
function startProgress(io: CliIo, file: string, fileBytes: number): () => void {
  const started = Date.now();
  const say = (): void => io.stderr(`procscope analyze: reading ${file} (${(fileBytes / 2 ** 20).toFixed(0)} MiB), ${((Date.now() - started) / 1000).toFixed(0)} s…\n`);
  let repeat: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    say();
    repeat = setInterval(say, 5000);
  }, 1000);
  return () => {
    clearTimeout(first);
    clearInterval(repeat);
  };
}

export const analyzeCommand: CliCommand = {
  name: 'analyze',
  summary: 'read a core or minidump offline: threads, stacks, locks, hang hints (redacted)',
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const a = parseAnalyzeArgs(args, process.cwd());
    const { fileBytes } = await detectDumpKind(a.file);
    const stop = startProgress(io, a.file, fileBytes);
    let report: AnalysisReport;
    try {
      const input = await openDump(a.file, { symbolFolders: a.symbolFolders, ...(a.packPath ? { packPath: a.packPath } : {}) });
      try {
        report = await buildReport(input, a.file);
      } finally {
        await input.close();
      }
    } finally {
      stop();
    }
    if (a.htmlOut) await writeFile(a.htmlOut, renderReportHtml(report));
    io.stdout(a.json ? `${JSON.stringify(report, null, 2)}\n` : textReport(report));
    return 0;
  },
};
