import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { testReport } from '../store/test-report';
import { frameText } from '../../src-shared/model/analysis-report';
import { AnalysisReportView } from './analysis-report-view';

describe('analysis report view', () => {
  const html = renderToStaticMarkup(<AnalysisReportView report={testReport()} />);

  it('puts the header and the findings first, each with severity, description, threads and recommendation', () => {
    const order = ['Command line', 'Findings', 'Top threads by CPU', 'Identical stacks', 'Threads (3)', 'Locks', 'Modules (1)', 'Dump quality'].map((s) => html.indexOf(s));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain('Deadlock between threads 813 and 814');
    expect(html).toContain('threads 813, 814');
    expect(html).toContain('Take the two mutexes in one order.');
    expect(html).toContain('2 values masked (option-value, profile-path)');
    expect(html).toContain('parked --password=*** run');
    const one = testReport();
    const single = renderToStaticMarkup(<AnalysisReportView report={{ ...one, redactions: one.redactions.slice(0, 1) }} />);
    expect(single).toMatch(/1 value masked \(/);
    // A deadlock's chain closes on its first thread, as the HTML page writes it.
    expect(html).toContain('813 → 814 → 813');
  });

  it('lists every thread as a collapsible group; error threads open with their frames, scanned frames greyed', () => {
    expect(html.match(/<details[^>]*aria-label="Thread /g)).toHaveLength(3);
    expect(html).toMatch(/<details open="" aria-label="Thread 813 \(worker-a\)">/);
    expect(html).toMatch(/<details aria-label="Thread 812">/);
    // The closed thread renders no frames until opened: only the two error threads' lists exist.
    expect(html.match(/aria-label="Frames of thread/g)).toHaveLength(2);
    expect(html).toContain('libc.so.6!__futex_abstimed_wait_common+0x2c');
    expect(html).toMatch(/<li class="frame-scan"><span class="mono">parked\+0x1500<\/span>/);
    expect(html).toContain('[scanned]');
    // The dumped program's words are text, never markup.
    expect(html).toContain('&lt;b&gt;worker-b&lt;/b&gt;');
    expect(html).not.toContain('<b>worker-b');
  });

  it('writes frames as module!function+offset, module+offset or the bare pc', () => {
    const [a, b, c] = testReport().threads[0]!.frames;
    expect([frameText(a!), frameText(b!), frameText(c!)]).toEqual(['libc.so.6!__futex_abstimed_wait_common+0x2c', 'parked!lock_both', 'parked+0x1500']);
    expect(frameText({ ...c!, module: null, offset: null })).toBe('0x401500');
  });
});
