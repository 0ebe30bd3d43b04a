import { describe, expect, it } from 'vitest';
import type { DumpGroupView, DumpJobView } from '../../src-shared/ipc/dump-contract';
import { jobTitle } from './dump-job-view';
import { groupSummary } from './jobs-panel';

const group: DumpGroupView = { id: 'g', rootPid: 10, rootStartTimeMs: 1, rootName: 'Tentacle', kind: 'full', outDir: '/d', jobIds: [] };

function job(pid: number, name: string, state: DumpJobView['state'], code?: 'process-gone' | 'disk-full'): DumpJobView {
  return {
    id: `j${pid}`,
    groupId: 'g',
    pid,
    startTimeMs: 1,
    name,
    kind: 'full',
    outDir: '/d',
    state,
    elevated: false,
    progress: null,
    result: null,
    error: code ? { code, message: 'x.' } : null,
    retryable: false,
    createdAtMs: 1,
    capture: null,
  };
}

describe('tree dump summary', () => {
  it('reports a process that exited meanwhile by name and pid, apart from real failures', () => {
    const jobs = [job(10, 'Tentacle', 'done'), job(11, 'Calamari', 'failed', 'process-gone'), job(12, 'powershell', 'failed', 'disk-full'), job(13, 'conhost', 'running')];
    expect(groupSummary(group, jobs)).toBe('1 of 4 files written; 1 to go; exited before they could be dumped: Calamari (PID 11); 1 failed.');
  });

  it('says all were written when they were', () => {
    expect(groupSummary(group, [job(10, 'a', 'done'), job(11, 'b', 'done'), job(12, 'c', 'done')])).toBe('3 of 3 files written.');
  });
});

describe('job title', () => {
  it('says which trigger fired for a capture dump, and nothing more for a Create Dump', () => {
    expect(jobTitle(job(11, 'Calamari', 'done'))).toBe('Full dump of Calamari, PID 11');
    expect(jobTitle({ ...job(11, 'Calamari', 'done'), kind: 'mini', capture: { watchId: 'w1', trigger: 'exit' } })).toBe('Minidump of Calamari, PID 11, at exit');
    expect(jobTitle({ ...job(12, 'x', 'done'), capture: { watchId: 'w1', trigger: 'crash' } })).toBe('Full dump of x, PID 12, at crash');
  });
});
