/* Row builders for the renderer's unit tests. */
import { emptyProcessRow, type ProcessRow, type ProcessSnapshot, type SystemTotals } from '../../src-shared/model/process';

export function testRow(pid: number, ppid: number, name: string, extra: Partial<ProcessRow> = {}): ProcessRow {
  return { ...emptyProcessRow(pid, ppid, name, 1000 + pid), ...extra };
}

export const TEST_SYSTEM: SystemTotals = {
  cpuCount: 4,
  cpuPercent: 10,
  memoryTotalBytes: 8 * 1024 ** 3,
  memoryAvailableBytes: 4 * 1024 ** 3,
  processCount: 0,
};

export function testSnapshot(seq: number, rows: ProcessRow[]): ProcessSnapshot {
  return { seq, timestampMs: 5000, intervalMs: 1000, rows, system: { ...TEST_SYSTEM, processCount: rows.length } };
}
