// The detail slice: a part's error keeps its last value under the sentence, the performance history merges the
// host's samples with ours (one per timestamp, bounded), an exited window takes no more data, another process's
// answer is dropped, and the lower pane keeps a list only for the process it was read for.
import { describe, expect, it } from 'vitest';
import type { ModuleDetail, PerformanceSample, ProcessDetail } from '../../src-shared/model/process-detail';
import { createAppStore } from './app-store';
import { MAX_PERFORMANCE_SAMPLES, mergePerformanceHistory } from './detail-slice';

const target = { pid: 4242, startTimeMs: 1000 };
const sample = (t: number, cpu = 1): PerformanceSample => ({
  timestampMs: t,
  cpuPercent: cpu,
  privateBytes: 100,
  workingSetBytes: 200,
  ioReadBytes: t,
  ioWriteBytes: 0,
  ioReadOps: 1,
  ioWriteOps: 1,
  handleCount: 3,
  threadCount: 2,
});
const mod = (name: string): ModuleDetail => ({ name, path: `/usr/lib/${name}`, baseAddress: '0x7f0000', sizeBytes: 4096, version: null, description: null, companyName: null, buildId: 'ab' });
const detail = (parts: Partial<ProcessDetail>, t = 5000): ProcessDetail => ({ ...target, timestampMs: t, ...parts });

describe('detail slice: Properties', () => {
  it('keeps the last value of a part under its error, and leaves parts not asked alone', () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().openPropertiesState(target);
    s().applyPropertiesDetail(detail({ modules: { ok: true, value: [mod('libc.so.6')] }, threads: { ok: true, value: [] } }));
    s().applyPropertiesDetail(detail({ modules: { ok: false, error: { code: 'access-denied', message: 'maps: EACCES' } } }, 6000));
    const parts = s().properties!.parts;
    expect(parts.modules).toEqual({ value: [mod('libc.so.6')], error: { code: 'access-denied', message: 'maps: EACCES' }, updatedMs: 6000 });
    expect(parts.threads).toEqual({ value: [], error: null, updatedMs: 5000 });
    expect(parts.handles).toBeUndefined();
    // An answer for another identity (a recycled pid) never lands.
    s().applyPropertiesDetail({ pid: 4242, startTimeMs: 9999, timestampMs: 7000, modules: { ok: true, value: [] } });
    expect(s().properties!.parts.modules!.value).toHaveLength(1);
  });

  it('keeps the host history, one point per poll, and takes nothing once exited', () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().openPropertiesState(target);
    const perf = (history: PerformanceSample[], current: PerformanceSample) => detail({ performance: { ok: true, value: { history, current } } }, current.timestampMs);
    s().applyPropertiesDetail(perf([sample(1000), sample(2000)], sample(3000)));
    s().applyPropertiesDetail(perf([sample(2000), sample(3000, 7)], sample(4000)));
    // The host's history holds its polls; a current read apart from a poll (3000, then 4000) is not a point of it.
    expect(s().properties!.performanceHistory.map((x) => [x.timestampMs, x.cpuPercent])).toEqual([
      [1000, 1],
      [2000, 1],
      [3000, 7],
    ]);
    // No history yet (the host just met the process): the current sample is the first point.
    s().applyPropertiesDetail(perf([], sample(5000)));
    expect(s().properties!.performanceHistory.map((x) => x.timestampMs)).toEqual([1000, 2000, 3000, 5000]);
    s().markPropertiesExited();
    s().applyPropertiesDetail(perf([], sample(6000)));
    expect(s().properties!.performanceHistory).toHaveLength(4);
    expect(s().properties!.exited).toBe(true);
  });

  it('bounds the history to the newest samples', () => {
    const many = Array.from({ length: MAX_PERFORMANCE_SAMPLES + 50 }, (_, i) => sample(i * 1000));
    const merged = mergePerformanceHistory([], many);
    expect(merged).toHaveLength(MAX_PERFORMANCE_SAMPLES);
    expect(merged[0]!.timestampMs).toBe(50_000);
  });
});

describe('detail slice: lower pane', () => {
  it('keeps the list for its process, keeps it under an exit sentence, and starts afresh for another process', () => {
    const store = createAppStore();
    const s = () => store.getState();
    s().applyLowerPaneDetail('4242:1000', 'dlls', detail({ modules: { ok: true, value: [mod('libz.so.1')] } }));
    s().setLowerPaneError('4242:1000', 'dlls', 'Process exited — the last list read is shown.');
    expect(s().lowerPaneData).toMatchObject({ key: '4242:1000', modules: { value: [mod('libz.so.1')] }, callError: 'Process exited — the last list read is shown.' });
    s().applyLowerPaneDetail('7:1', 'handles', { pid: 7, startTimeMs: 1, timestampMs: 1, handles: { ok: true, value: [] } });
    expect(s().lowerPaneData).toMatchObject({ key: '7:1', mode: 'handles', modules: null, handles: { value: [] }, callError: null });
  });
});
