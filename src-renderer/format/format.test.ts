import { describe, expect, it } from 'vitest';
import { emptyProcessRow } from '../../src-shared/model/process';
import { columnDef, COLUMNS, columnsNeed, DEFAULT_VISIBLE_COLUMNS } from './columns';
import { formatBytesPe, formatBytesPerSecPe, formatCpuPercent, formatCpuTime, formatCount } from './format';

describe('Process Explorer formatting', () => {
  it('shows sizes in K with separators, in K however large (one unit per column), blank when unknown', () => {
    expect(formatBytesPe(0)).toBe('0 K');
    expect(formatBytesPe(4096)).toBe('4 K');
    expect(formatBytesPe(25_999_360)).toBe('25,390 K');
    expect(formatBytesPe(999_999 * 1024)).toBe('999,999 K');
    expect(formatBytesPe(2 * 1024 ** 3)).toBe('2,097,152 K');
    expect(formatBytesPe(5 * 1024 ** 4)).toBe('5,368,709,120 K');
    expect(formatBytesPe(null)).toBe('');
  });

  it('shows CPU with two decimals, blank for zero and unknown, < 0.01 for a trace', () => {
    expect(formatCpuPercent(null)).toBe('');
    expect(formatCpuPercent(0)).toBe('');
    expect(formatCpuPercent(0.004)).toBe('< 0.01');
    expect(formatCpuPercent(12.345)).toBe('12.35');
    expect(formatCpuPercent(100)).toBe('100.00');
  });

  it('shows rates in K/s, blank when idle or unknown', () => {
    expect(formatBytesPerSecPe(null)).toBe('');
    expect(formatBytesPerSecPe(0)).toBe('');
    expect(formatBytesPerSecPe(100)).toBe('< 1 K/s');
    expect(formatBytesPerSecPe(2048)).toBe('2 K/s');
    expect(formatBytesPerSecPe(3 * 1024 ** 3)).toBe('3,145,728 K/s');
  });

  it('formats counts and CPU time', () => {
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(null)).toBe('');
    expect(formatCpuTime(3_723_456)).toBe('1:02:03.456');
  });

  it('has the default PE columns first and formats a row through them', () => {
    expect(COLUMNS.slice(0, DEFAULT_VISIBLE_COLUMNS.length).map((c) => c.id)).toEqual([...DEFAULT_VISIBLE_COLUMNS]);
    const row = { ...emptyProcessRow(42, 1, 'bash', 0), workingSetBytes: 10 * 1024 * 1024, commandLine: 'bash -l' };
    expect(columnDef('workingSetBytes').format(row)).toBe('10,240 K');
    expect(columnDef('pid').format(row)).toBe('42');
    expect(columnDef('commandLine').format(row)).toBe('bash -l');
    expect(columnDef('user').format(row)).toBe('');
    expect(columnDef('handleCount').value(row)).toBeNull();
  });

  it('formats the admin columns in one unit each and says what the poll must read for them', () => {
    const row = {
      ...emptyProcessRow(7, 1, 'svc', 0),
      integrityLevel: 'high' as const,
      sessionId: 0,
      elevated: true,
      is32Bit: false,
      ioReadBytesPerSec: 10 * 1024,
      ioReadBytes: 3 * 1024 ** 3,
      ioWriteOps: 12_345,
      services: ['Dnscache', 'LanmanWorkstation'],
    };
    expect(columnDef('integrityLevel').format(row)).toBe('High');
    expect(columnDef('integrityLevel').value(row)).toBeGreaterThan(columnDef('integrityLevel').value({ ...row, integrityLevel: 'medium' }) as number);
    expect(columnDef('sessionId').format(row)).toBe('0');
    expect(columnDef('elevated').format(row)).toBe('Yes');
    expect(columnDef('elevated').format({ ...row, elevated: null })).toBe('');
    expect(columnDef('is32Bit').format(row)).toBe('64-bit');
    expect(columnDef('ioReadBytesPerSec').format(row)).toBe('10 K/s');
    expect(columnDef('ioReadBytes').format(row)).toBe('3,145,728 K');
    expect(columnDef('ioWriteOps').format(row)).toBe('12,345');
    expect(columnDef('services').format(row)).toBe('Dnscache, LanmanWorkstation');
    expect(columnsNeed(['name', 'ioReadBytesPerSec'], 'io')).toBe(true);
    expect(columnsNeed(['name', 'services'], 'io')).toBe(false);
    expect(columnsNeed(['name', 'services'], 'categories')).toBe(true);
    expect(columnsNeed(['handleCount'], 'handles')).toBe(true);
    // Every byte-sized column speaks K, whatever the size.
    for (const id of ['privateBytes', 'workingSetBytes', 'virtualBytes', 'ioReadBytes'] as const) {
      const big = { ...row, privateBytes: 5 * 1024 ** 3, workingSetBytes: 5 * 1024 ** 3, virtualBytes: 5 * 1024 ** 4, ioReadBytes: 5 * 1024 ** 3 };
      expect(columnDef(id).format(big)).toMatch(/^[\d,]+ K$/);
    }
  });
});
