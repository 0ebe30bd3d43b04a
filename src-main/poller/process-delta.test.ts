import { describe, expect, it } from 'vitest';
import { emptyProcessRow, type ProcessRow } from '../../src-shared/model/process';
import { changedFields, computeRowChanges, MUTABLE_FIELDS } from './process-delta';

const row = (pid: number, startTimeMs: number, extra: Partial<ProcessRow> = {}): ProcessRow => ({
  ...emptyProcessRow(pid, 1, `p${pid}`, startTimeMs),
  ...extra,
});
const mapOf = (rows: ProcessRow[]) => new Map(rows.map((r) => [r.key, r]));

describe('delta computation', () => {
  it('reports new keys as added and missing keys as removed', () => {
    const a = row(10, 1000);
    const b = row(11, 1000);
    const c = row(12, 2000);
    const d = computeRowChanges(mapOf([a, b]), [b, c]);
    expect(d.added).toEqual([c]);
    expect(d.removed).toEqual([a.key]);
    expect(d.updated).toEqual([]);
  });

  it('sends only the fields that changed', () => {
    const before = row(10, 1000, { cpuTimeMs: 100, cpuPercent: 1, workingSetBytes: 4096, threadCount: 3 });
    const after = { ...before, cpuTimeMs: 150, cpuPercent: 2.5, threadCount: 3 };
    const d = computeRowChanges(mapOf([before]), [after]);
    expect(d.updated).toEqual([{ key: before.key, changes: { cpuTimeMs: 150, cpuPercent: 2.5 } }]);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
  });

  it('sends nothing for an unchanged row, whether a copy or the same object', () => {
    const r = row(10, 1000, { user: 'root' });
    expect(computeRowChanges(mapOf([r]), [{ ...r }]).updated).toEqual([]);
    expect(computeRowChanges(mapOf([r]), [r]).updated).toEqual([]);
  });

  it('treats a recycled pid (same pid, new start time) as remove old key + add new key', () => {
    const old = row(42, 1000, { name: 'old' });
    const reborn = row(42, 5000, { name: 'new' });
    const d = computeRowChanges(mapOf([old]), [reborn]);
    expect(d.removed).toEqual(['42:1000']);
    expect(d.added.map((r) => r.key)).toEqual(['42:5000']);
    expect(d.updated).toEqual([]);
  });

  it('covers every mutable field, and changes to null count', () => {
    expect(MUTABLE_FIELDS).toHaveLength(Object.keys(emptyProcessRow(1, 0, 'x', 0)).length - 3);
    const before = row(1, 0, { exePath: '/bin/x', handleCount: 5 });
    expect(changedFields(before, { ...before, exePath: null, handleCount: 6 })).toEqual({ exePath: null, handleCount: 6 });
    expect(changedFields(before, { ...before })).toBeNull();
  });

  // Listed by hand, not taken from MUTABLE_FIELDS: a field the diff skipped would vanish from both lists at once.
  const EVERY_FIELD = [
    'ppid', 'name', 'exePath', 'commandLine', 'user', 'state', 'threadCount', 'handleCount', 'cpuTimeMs', 'cpuPercent',
    'workingSetBytes', 'privateBytes', 'virtualBytes', 'priority', 'sessionId', 'elevated', 'integrityLevel', 'is32Bit',
    'description', 'companyName', 'ioReadBytes', 'ioWriteBytes', 'ioReadOps', 'ioWriteOps', 'ioReadBytesPerSec',
    'ioWriteBytesPerSec', 'services', 'isService', 'isDotNet', 'inJob', 'beingDebugged', 'suspended',
  ] as const;

  it('compares services by content: a new array with the same names is no change, another name is', () => {
    const before = row(3, 1, { services: ['a.service'] });
    expect(changedFields(before, { ...before, services: ['a.service'] })).toBeNull();
    expect(changedFields(before, { ...before, services: ['a.service', 'b.service'] })).toEqual({ services: ['a.service', 'b.service'] });
    expect(changedFields(before, { ...before, services: null })).toEqual({ services: null });
  });

  it('that list is every field of a row but its identity (key, pid, start time)', () => {
    expect([...EVERY_FIELD, 'key', 'pid', 'startTimeMs'].sort()).toEqual(Object.keys(emptyProcessRow(1, 0, 'x', 0)).sort());
  });

  it.each(EVERY_FIELD)('a change of %s alone is sent, and only it', (field) => {
    const before = row(7, 700, { user: 'ann', ppid: 1, threadCount: 2, elevated: false });
    const after = { ...before, [field]: `changed ${field}` } as unknown as ProcessRow;
    expect(changedFields(before, after)).toEqual({ [field]: `changed ${field}` });
    expect(computeRowChanges(mapOf([before]), [after]).updated).toEqual([{ key: before.key, changes: { [field]: `changed ${field}` } }]);
  });

  it('sends a change of user: a process that dropped privileges (root -> www-data), or whose user became readable', () => {
    const root = row(80, 800, { user: 'root', name: 'nginx' });
    expect(computeRowChanges(mapOf([root]), [{ ...root, user: 'www-data' }]).updated).toEqual([{ key: root.key, changes: { user: 'www-data' } }]);
    const unknown = row(81, 800, { user: null });
    expect(changedFields(unknown, { ...unknown, user: 'ann' })).toEqual({ user: 'ann' });
  });
});
