/* The columns of the detail tables, shared by the Properties tabs and the lower pane (the same DLL list in both). */
import type { HandleDetail, ModuleDetail, ServiceDetail, SocketDetail, ThreadDetail } from '../../../src-shared/model/process-detail';
import { formatBytesPe, formatCpuPercent, formatCpuTime } from '../../format/format';
import type { DetailColumn } from './detail-table';

const orBlank = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));

export const MODULE_COLUMNS: readonly DetailColumn<ModuleDetail>[] = [
  { label: 'Name', value: (m) => m.name },
  { label: 'Base', value: (m) => m.baseAddress, className: 'mono' },
  { label: 'Size', value: (m) => formatBytesPe(m.sizeBytes), className: 'num' },
  { label: 'Description', value: (m) => orBlank(m.description) },
  { label: 'Version', value: (m) => orBlank(m.version) },
  { label: 'Build ID', value: (m) => orBlank(m.buildId), className: 'mono' },
  { label: 'Path', value: (m) => m.path },
];

export const HANDLE_COLUMNS: readonly DetailColumn<HandleDetail>[] = [
  { label: 'Handle', value: (h) => h.handle, className: 'mono' },
  { label: 'Type', value: (h) => h.type },
  { label: 'Name', value: (h) => orBlank(h.name) },
  { label: 'Access', value: (h) => orBlank(h.access), className: 'mono' },
];

const endpoint = (address: string | null, port: number | null) => {
  if (address === null) return '';
  if (port === null) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
};

export const SOCKET_COLUMNS: readonly DetailColumn<SocketDetail>[] = [
  { label: 'Protocol', value: (s) => s.protocol.toUpperCase() },
  { label: 'Local address', value: (s) => endpoint(s.localAddress, s.localPort) },
  { label: 'Remote address', value: (s) => endpoint(s.remoteAddress, s.remotePort) },
  { label: 'State', value: (s) => orBlank(s.state) },
];

export const SERVICE_COLUMNS: readonly DetailColumn<ServiceDetail>[] = [
  { label: 'Service', value: (s) => s.name },
  { label: 'Display name', value: (s) => orBlank(s.displayName) },
  { label: 'State', value: (s) => orBlank(s.state) },
];

export const THREAD_COLUMNS: readonly DetailColumn<ThreadDetail>[] = [
  { label: 'TID', value: (t) => String(t.tid), className: 'num' },
  { label: 'Name', value: (t) => orBlank(t.name) },
  { label: 'State', value: (t) => orBlank(t.state) },
  { label: 'Wait reason', value: (t) => orBlank(t.waitReason) },
  { label: 'CPU time', value: (t) => formatCpuTime(t.cpuTimeMs), className: 'num' },
  { label: 'CPU', value: (t) => formatCpuPercent(t.cpuPercent), className: 'num' },
  { label: 'Start address', value: (t) => t.startSymbol ?? orBlank(t.startAddress), className: 'mono' },
  { label: 'Priority', value: (t) => orBlank(t.priority), className: 'num' },
];
