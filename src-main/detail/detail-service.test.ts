// The detail service over the fake source: the Performance history fed by a poller's stream (bounded, promoted
// when asked, dropped at exit; its memory at 1,000 processes measured), the whole-call refusals as IPC codes
// through the real handlers, and Find's bounds.
import { describe, expect, it } from 'vitest';
import type { ProcessRow, ProcessStreamMessage } from '../../src-shared/model/process';
import { emptyProcessRow } from '../../src-shared/model/process';
import { createFakeBackend } from '../platform/fake/fake-backend';
import { createDetailHandlers } from '../host/detail-handlers';
import { HostRequestError } from '../host/host-request-error';
import { createTestPoller } from '../host/test-poller';
import { createDetailServices } from './detail-service';
import { createFakeDetailSource } from './fake-detail-source';
import { createPerformanceHistory, LONG_HISTORY, SHORT_HISTORY } from './performance-history';
import { REQUEST_SCHEMAS } from '../../src-shared/ipc/request-schemas';

function row(pid: number, cpu: number): ProcessRow {
  return { ...emptyProcessRow(pid, 1, `p${pid}`, 1000 + pid), cpuPercent: cpu, privateBytes: pid * 4096, workingSetBytes: pid * 8192, threadCount: 3, handleCount: null };
}

describe('performance history', () => {
  it('keeps one sample per poll per process, fills unchanged fields from the last delta, and drops exited ones', () => {
    const h = createPerformanceHistory();
    h.onMessage({ kind: 'snapshot', snapshot: { seq: 1, timestampMs: 10, intervalMs: 0, rows: [row(5, 1), row(6, 2)], system: { cpuCount: 1, cpuPercent: null, memoryTotalBytes: null, memoryAvailableBytes: null, processCount: 2 } } });
    const delta = (seq: number, ts: number, extra: Partial<Extract<ProcessStreamMessage, { kind: 'delta' }>['delta']>): ProcessStreamMessage => ({
      kind: 'delta',
      delta: { seq, timestampMs: ts, intervalMs: 1000, added: [], updated: [], removed: [], system: { cpuCount: 1, cpuPercent: null, memoryTotalBytes: null, memoryAvailableBytes: null, processCount: 2 }, ...extra },
    });
    h.onMessage(delta(2, 20, { updated: [{ key: '5:1005', changes: { cpuPercent: 50 } }] }));
    h.onMessage(delta(3, 30, { removed: ['6:1006'], added: [row(7, 0)] }));
    const s = h.samples('5:1005');
    expect(s.map((x) => [x.timestampMs, x.cpuPercent, x.privateBytes, x.handleCount])).toEqual([
      [10, 1, 5 * 4096, null],
      [20, 50, 5 * 4096, null],
      [30, 50, 5 * 4096, null],
    ]);
    expect(h.samples('6:1006')).toEqual([]);
    expect(h.samples('7:1007')).toHaveLength(1);
  });

  it('bounds each ring, and costs little for 1,000 processes', () => {
    const h = createPerformanceHistory();
    const rows = Array.from({ length: 1000 }, (_, i) => row(i + 2, i % 7));
    h.onMessage({ kind: 'snapshot', snapshot: { seq: 1, timestampMs: 0, intervalMs: 0, rows, system: { cpuCount: 1, cpuPercent: null, memoryTotalBytes: null, memoryAvailableBytes: null, processCount: 1000 } } });
    const t0 = performance.now();
    for (let seq = 2; seq < 2 + 200; seq++) {
      h.onMessage({ kind: 'delta', delta: { seq, timestampMs: seq * 1000, intervalMs: 1000, added: [], updated: [{ key: rows[seq % 1000]!.key, changes: { cpuPercent: seq } }], removed: [], system: { cpuCount: 1, cpuPercent: null, memoryTotalBytes: null, memoryAvailableBytes: null, processCount: 1000 } } });
    }
    const perPollMs = (performance.now() - t0) / 200;
    const bytes = h.memoryBytes();
    console.log(`history: 1,000 processes × ${SHORT_HISTORY} samples = ${(bytes / 2 ** 20).toFixed(2)} MiB, ${perPollMs.toFixed(3)} ms per poll`);
    expect(bytes).toBeLessThan(4 * 2 ** 20);
    expect(perPollMs).toBeLessThan(5);
    expect(h.samples(rows[0]!.key)).toHaveLength(SHORT_HISTORY);
    // Asked for: promoted to the long ring, which keeps what the short one had and grows to LONG_HISTORY.
    expect(h.memoryBytes()).toBeGreaterThan(bytes);
    for (let seq = 300; seq < 300 + LONG_HISTORY + 10; seq++) h.onMessage({ kind: 'delta', delta: { seq, timestampMs: seq, intervalMs: 1000, added: [], updated: [], removed: [], system: { cpuCount: 1, cpuPercent: null, memoryTotalBytes: null, memoryAvailableBytes: null, processCount: 1000 } } });
    const long = h.samples(rows[0]!.key);
    expect(long).toHaveLength(LONG_HISTORY);
    expect(long.at(-1)!.timestampMs).toBe(300 + LONG_HISTORY + 9);
  });
});

describe('detail service and handlers over the fake source', () => {
  it('answers parts with the history after the current sample, and refuses gone or recycled targets with IPC codes', async () => {
    const backend = createFakeBackend({ processCount: 30, seed: 2 });
    const poller = createTestPoller(backend);
    await poller.refreshNow();
    await poller.refreshNow();
    const detail = createDetailServices({ sourceFactory: async () => createFakeDetailSource(backend), poller });
    try {
      await poller.refreshNow();
      const target = poller.getSnapshot()!.rows.find((r) => r.pid % 7 !== 0)!;
      const d = await detail.getProcessDetail(target, ['performance', 'performance', 'modules']);
      expect(d.performance).toMatchObject({ ok: true });
      const perf = d.performance!.ok ? d.performance!.value : null;
      expect(perf!.history.at(-1)).toBe(perf!.current);
      expect(perf!.history.length).toBeGreaterThanOrEqual(2);
      expect(perf!.current.ioReadBytes).toBe(target.pid * 4096);
      expect(d.modules).toMatchObject({ ok: true });
      expect(d).not.toHaveProperty('environment');

      const handlers = createDetailHandlers({ detail });
      const ctx = { sender: { id: 't', push: () => {} } };
      await expect(handlers['procscope:get-process-detail']({ pid: target.pid, startTimeMs: target.startTimeMs + 1, parts: ['image'] }, ctx)).rejects.toMatchObject({ code: 'pid-recycled' });
      await expect(handlers['procscope:get-thread-stack']({ pid: 99_999, startTimeMs: 1, tid: 5 }, ctx)).rejects.toBeInstanceOf(HostRequestError);
      await expect(handlers['procscope:thread-action']({ ...target, tid: target.pid, action: 'kill' }, ctx)).rejects.toMatchObject({ code: 'unsupported' });
      const found = await handlers['procscope:find-handle-or-dll']({ query: 'LIBC' }, ctx);
      expect(found.matches.length).toBeGreaterThan(0);
      expect(found.matches.every((m) => m.kind === 'module' && /libc/i.test(m.name))).toBe(true);
    } finally {
      detail.dispose();
      poller.dispose();
    }
  });

  it('answers unsupported without a source, and bounds Find', async () => {
    const backend = createFakeBackend({ processCount: 300, seed: 2 });
    const poller = createTestPoller(backend);
    await poller.refreshNow();
    const none = createDetailServices({ sourceFactory: null, poller });
    await expect(none.getProcessDetail({ pid: 1, startTimeMs: 1 }, ['image'])).rejects.toMatchObject({ code: 'unsupported' });
    none.dispose();
    const capped = createDetailServices({ sourceFactory: async () => createFakeDetailSource(backend), poller, findLimits: { maxMatches: 10, deadlineMs: 10_000 } });
    const r = await capped.findHandleOrDll('.so');
    expect(r.matches).toHaveLength(10);
    expect(r.truncated).toBe(true);
    capped.dispose();
    poller.dispose();
  });
});

describe('detail channel schemas', () => {
  const ok = (channel: keyof typeof REQUEST_SCHEMAS, args: unknown) => REQUEST_SCHEMAS[channel].safeParse(args).success;
  it('take only well-formed targets, parts, tids, actions and queries', () => {
    const t = { pid: 10, startTimeMs: 5 };
    expect(ok('procscope:get-process-detail', { ...t, parts: ['image', 'threads'] })).toBe(true);
    expect(ok('procscope:get-process-detail', { ...t, parts: [] })).toBe(false);
    expect(ok('procscope:get-process-detail', { ...t, parts: ['image', 'image'] })).toBe(false);
    expect(ok('procscope:get-process-detail', { ...t, parts: ['registry'] })).toBe(false);
    expect(ok('procscope:get-process-detail', { ...t, parts: ['image'], extra: 1 })).toBe(false);
    expect(ok('procscope:get-process-detail', { pid: 0, startTimeMs: 5, parts: ['image'] })).toBe(false);
    for (const tid of [0, -1, 1.5, 2 ** 31, NaN, '7']) expect(ok('procscope:get-thread-stack', { ...t, tid })).toBe(false);
    expect(ok('procscope:get-thread-stack', { ...t, tid: 7 })).toBe(true);
    expect(ok('procscope:thread-action', { ...t, tid: 7, action: 'suspend' })).toBe(true);
    expect(ok('procscope:thread-action', { ...t, tid: 7, action: 'terminate' })).toBe(false);
    expect(ok('procscope:find-handle-or-dll', { query: 'libc' })).toBe(true);
    expect(ok('procscope:find-handle-or-dll', { query: 'x'.repeat(260) })).toBe(true);
    expect(ok('procscope:find-handle-or-dll', { query: 'x'.repeat(261) })).toBe(false);
    expect(ok('procscope:find-handle-or-dll', { query: '' })).toBe(false);
    expect(ok('procscope:find-handle-or-dll', { query: 'a\0b' })).toBe(false);
    expect(ok('procscope:find-handle-or-dll', { query: 'a', limit: 5 })).toBe(false);
  });
});
