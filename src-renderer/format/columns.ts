/*
 * The columns the tree can show: Process Explorer's default set first, then the ones switched on from the
 * column chooser. Each column knows how to format a row and what to sort by; nothing here touches the DOM.
 */
import type { ProcessRow } from '../../src-shared/model/process';
import { formatBytesPe, formatCount, formatCpuPercent, formatCpuTime, formatStartTime } from './format';

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
  | 'companyName';

export interface ColumnDef {
  id: ColumnId;
  label: string;
  defaultWidthPx: number;
  align: 'left' | 'right';
  /** Sort key; null sorts last. */
  value(row: ProcessRow): string | number | null;
  format(row: ProcessRow): string;
}

const text = (get: (r: ProcessRow) => string | null) => ({ value: get, format: (r: ProcessRow) => get(r) ?? '' });

export const COLUMNS: readonly ColumnDef[] = [
  { id: 'name', label: 'Process', defaultWidthPx: 240, align: 'left', ...text((r) => r.name) },
  { id: 'pid', label: 'PID', defaultWidthPx: 70, align: 'right', value: (r) => r.pid, format: (r) => String(r.pid) },
  { id: 'cpuPercent', label: 'CPU', defaultWidthPx: 60, align: 'right', value: (r) => r.cpuPercent, format: (r) => formatCpuPercent(r.cpuPercent) },
  { id: 'privateBytes', label: 'Private Bytes', defaultWidthPx: 110, align: 'right', value: (r) => r.privateBytes, format: (r) => formatBytesPe(r.privateBytes) },
  { id: 'workingSetBytes', label: 'Working Set', defaultWidthPx: 110, align: 'right', value: (r) => r.workingSetBytes, format: (r) => formatBytesPe(r.workingSetBytes) },
  { id: 'threadCount', label: 'Threads', defaultWidthPx: 70, align: 'right', value: (r) => r.threadCount, format: (r) => formatCount(r.threadCount) },
  { id: 'user', label: 'User', defaultWidthPx: 110, align: 'left', ...text((r) => r.user) },
  { id: 'commandLine', label: 'Command Line', defaultWidthPx: 420, align: 'left', ...text((r) => r.commandLine) },
  { id: 'handleCount', label: 'Handles', defaultWidthPx: 70, align: 'right', value: (r) => r.handleCount, format: (r) => formatCount(r.handleCount) },
  { id: 'virtualBytes', label: 'Virtual Size', defaultWidthPx: 110, align: 'right', value: (r) => r.virtualBytes, format: (r) => formatBytesPe(r.virtualBytes) },
  { id: 'cpuTimeMs', label: 'CPU Time', defaultWidthPx: 100, align: 'right', value: (r) => r.cpuTimeMs, format: (r) => formatCpuTime(r.cpuTimeMs) },
  { id: 'startTimeMs', label: 'Start Time', defaultWidthPx: 150, align: 'left', value: (r) => r.startTimeMs, format: (r) => formatStartTime(r.startTimeMs) },
  { id: 'priority', label: 'Priority', defaultWidthPx: 60, align: 'right', value: (r) => r.priority, format: (r) => (r.priority === null ? '' : String(r.priority)) },
  { id: 'state', label: 'State', defaultWidthPx: 80, align: 'left', ...text((r) => r.state) },
  { id: 'ppid', label: 'Parent PID', defaultWidthPx: 80, align: 'right', value: (r) => r.ppid, format: (r) => String(r.ppid) },
  { id: 'exePath', label: 'Image Path', defaultWidthPx: 260, align: 'left', ...text((r) => r.exePath) },
  { id: 'description', label: 'Description', defaultWidthPx: 180, align: 'left', ...text((r) => r.description) },
  { id: 'companyName', label: 'Company Name', defaultWidthPx: 160, align: 'left', ...text((r) => r.companyName) },
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
