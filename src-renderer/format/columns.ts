/*
 * The columns the tree can show: Process Explorer's default set first, then the ones switched on from the
 * column chooser (issue 14 added the ones admins expect: integrity, session, elevation, image type, I/O, services).
 * Each column knows how to format a row and what to sort by, and what the poll must read for it (`needs`); nothing
 * here touches the DOM. One unit per column: sizes always in K, rates always in K/s.
 */
import type { IntegrityLevel, ProcessRow } from '../../src-shared/model/process';
import { formatBytesPe, formatBytesPerSecPe, formatCount, formatCpuPercent, formatCpuTime, formatStartTime } from './format';

export type ColumnId =
  | 'name'
  | 'pid'
  | 'cpuPercent'
  | 'privateBytes'
  | 'workingSetBytes'
  | 'threadCount'
  | 'user'
  | 'commandLine'
  | 'handleCount'
  | 'virtualBytes'
  | 'cpuTimeMs'
  | 'startTimeMs'
  | 'priority'
  | 'state'
  | 'ppid'
  | 'exePath'
  | 'description'
  | 'companyName'
  | 'integrityLevel'
  | 'sessionId'
  | 'elevated'
  | 'is32Bit'
  | 'ioReadBytesPerSec'
  | 'ioWriteBytesPerSec'
  | 'ioReadBytes'
  | 'ioWriteBytes'
  | 'ioReadOps'
  | 'ioWriteOps'
  | 'services';

/**
 * What the poll reads only while some shown column needs it (see procscope:set-poll-fields and
 * set-include-handle-count): 'handles' = handle / fd counts, 'io' = I/O counters, 'categories' = services and the
 * other category inputs.
 */
export type ColumnNeed = 'handles' | 'io' | 'categories';

export interface ColumnDef {
  id: ColumnId;
  label: string;
  defaultWidthPx: number;
  align: 'left' | 'right';
  /** Sort key; null sorts last. */
  value(row: ProcessRow): string | number | null;
  format(row: ProcessRow): string;
  needs?: ColumnNeed;
}

const text = (get: (r: ProcessRow) => string | null) => ({ value: get, format: (r: ProcessRow) => get(r) ?? '' });
const yesNo = (get: (r: ProcessRow) => boolean | null) => ({
  value: (r: ProcessRow) => (get(r) === null ? null : get(r) ? 1 : 0),
  format: (r: ProcessRow) => (get(r) === null ? '' : get(r) ? 'Yes' : 'No'),
});
/** Process Explorer's words, in rising order so the column sorts by trust. */
const INTEGRITY_ORDER: readonly IntegrityLevel[] = ['untrusted', 'low', 'medium', 'high', 'system', 'protected'];
const INTEGRITY_LABEL: Record<IntegrityLevel, string> = {
  untrusted: 'Untrusted',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  system: 'System',
  protected: 'Protected',
};
const bytesCol = (get: (r: ProcessRow) => number | null, needs?: ColumnNeed) => ({ value: get, format: (r: ProcessRow) => formatBytesPe(get(r)), needs });
const rateCol = (get: (r: ProcessRow) => number | null) => ({ value: get, format: (r: ProcessRow) => formatBytesPerSecPe(get(r)), needs: 'io' as const });
const countCol = (get: (r: ProcessRow) => number | null, needs?: ColumnNeed) => ({ value: get, format: (r: ProcessRow) => formatCount(get(r)), needs });

export const COLUMNS: readonly ColumnDef[] = [
  { id: 'name', label: 'Process', defaultWidthPx: 240, align: 'left', ...text((r) => r.name) },
  { id: 'pid', label: 'PID', defaultWidthPx: 70, align: 'right', value: (r) => r.pid, format: (r) => String(r.pid) },
  { id: 'cpuPercent', label: 'CPU', defaultWidthPx: 60, align: 'right', value: (r) => r.cpuPercent, format: (r) => formatCpuPercent(r.cpuPercent) },
  { id: 'privateBytes', label: 'Private Bytes', defaultWidthPx: 110, align: 'right', value: (r) => r.privateBytes, format: (r) => formatBytesPe(r.privateBytes) },
  { id: 'workingSetBytes', label: 'Working Set', defaultWidthPx: 110, align: 'right', value: (r) => r.workingSetBytes, format: (r) => formatBytesPe(r.workingSetBytes) },
  { id: 'threadCount', label: 'Threads', defaultWidthPx: 70, align: 'right', value: (r) => r.threadCount, format: (r) => formatCount(r.threadCount) },
  { id: 'user', label: 'User', defaultWidthPx: 110, align: 'left', ...text((r) => r.user) },
  { id: 'commandLine', label: 'Command Line', defaultWidthPx: 420, align: 'left', ...text((r) => r.commandLine) },
  { id: 'handleCount', label: 'Handles', defaultWidthPx: 70, align: 'right', ...countCol((r) => r.handleCount, 'handles') },
  { id: 'virtualBytes', label: 'Virtual Size', defaultWidthPx: 110, align: 'right', value: (r) => r.virtualBytes, format: (r) => formatBytesPe(r.virtualBytes) },
  { id: 'cpuTimeMs', label: 'CPU Time', defaultWidthPx: 100, align: 'right', value: (r) => r.cpuTimeMs, format: (r) => formatCpuTime(r.cpuTimeMs) },
  { id: 'startTimeMs', label: 'Start Time', defaultWidthPx: 150, align: 'left', value: (r) => r.startTimeMs, format: (r) => formatStartTime(r.startTimeMs) },
  { id: 'priority', label: 'Priority', defaultWidthPx: 60, align: 'right', value: (r) => r.priority, format: (r) => (r.priority === null ? '' : String(r.priority)) },
  { id: 'state', label: 'State', defaultWidthPx: 80, align: 'left', ...text((r) => r.state) },
  { id: 'ppid', label: 'Parent PID', defaultWidthPx: 80, align: 'right', value: (r) => r.ppid, format: (r) => String(r.ppid) },
  { id: 'exePath', label: 'Image Path', defaultWidthPx: 260, align: 'left', ...text((r) => r.exePath) },
  { id: 'description', label: 'Description', defaultWidthPx: 180, align: 'left', ...text((r) => r.description) },
  { id: 'companyName', label: 'Company Name', defaultWidthPx: 160, align: 'left', ...text((r) => r.companyName) },
  {
    id: 'integrityLevel',
    label: 'Integrity',
    defaultWidthPx: 80,
    align: 'left',
    value: (r) => (r.integrityLevel === null ? null : INTEGRITY_ORDER.indexOf(r.integrityLevel)),
    format: (r) => (r.integrityLevel === null ? '' : INTEGRITY_LABEL[r.integrityLevel]),
  },
  { id: 'sessionId', label: 'Session', defaultWidthPx: 60, align: 'right', value: (r) => r.sessionId, format: (r) => (r.sessionId === null ? '' : String(r.sessionId)) },
  { id: 'elevated', label: 'Elevated', defaultWidthPx: 70, align: 'left', ...yesNo((r) => r.elevated) },
  {
    id: 'is32Bit',
    label: 'Image Type',
    defaultWidthPx: 80,
    align: 'left',
    value: (r) => (r.is32Bit === null ? null : r.is32Bit ? 32 : 64),
    format: (r) => (r.is32Bit === null ? '' : r.is32Bit ? '32-bit' : '64-bit'),
  },
  { id: 'ioReadBytesPerSec', label: 'I/O Read Rate', defaultWidthPx: 100, align: 'right', ...rateCol((r) => r.ioReadBytesPerSec) },
  { id: 'ioWriteBytesPerSec', label: 'I/O Write Rate', defaultWidthPx: 100, align: 'right', ...rateCol((r) => r.ioWriteBytesPerSec) },
  { id: 'ioReadBytes', label: 'I/O Read Bytes', defaultWidthPx: 110, align: 'right', ...bytesCol((r) => r.ioReadBytes, 'io') },
  { id: 'ioWriteBytes', label: 'I/O Write Bytes', defaultWidthPx: 110, align: 'right', ...bytesCol((r) => r.ioWriteBytes, 'io') },
  { id: 'ioReadOps', label: 'I/O Reads', defaultWidthPx: 90, align: 'right', ...countCol((r) => r.ioReadOps, 'io') },
  { id: 'ioWriteOps', label: 'I/O Writes', defaultWidthPx: 90, align: 'right', ...countCol((r) => r.ioWriteOps, 'io') },
  {
    id: 'services',
    label: 'Services',
    defaultWidthPx: 200,
    align: 'left',
    needs: 'categories',
    ...text((r) => (r.services === null ? null : r.services.join(', '))),
  },
];

export const COLUMN_BY_ID = new Map<ColumnId, ColumnDef>(COLUMNS.map((c) => [c.id, c]));

export const DEFAULT_VISIBLE_COLUMNS: readonly ColumnId[] = [
  'name',
  'pid',
  'cpuPercent',
  'privateBytes',
  'workingSetBytes',
  'threadCount',
  'user',
  'commandLine',
];

export function columnDef(id: ColumnId): ColumnDef {
  return COLUMN_BY_ID.get(id)!;
}

/** Whether any of the shown columns needs the poll to read `need`. */
export function columnsNeed(visible: readonly ColumnId[], need: ColumnNeed): boolean {
  return visible.some((id) => COLUMN_BY_ID.get(id)?.needs === need);
}
