import { describe, expect, it } from 'vitest';
import { emptyProcessRow } from '../../src-shared/model/process';
import { columnDef, COLUMNS, DEFAULT_VISIBLE_COLUMNS } from './columns';
import { formatBytesPe, formatCpuPercent, formatCpuTime, formatCount } from './format';

describe('Process Explorer formatting', () => {
  it('shows sizes in K with separators, MB from a million K, blank when unknown', () => {
    expect(formatBytesPe(0)).toBe('0 K');
    expect(formatBytesPe(4096)).toBe('4 K');
    expect(formatBytesPe(25_999_360)).toBe('25,390 K');
    expect(formatBytesPe(999_999 * 1024)).toBe('999,999 K');
    expect(formatBytesPe(2 * 1024 ** 3)).toBe('2,048.0 MB');
    expect(formatBytesPe(null)).toBe('');
  });

  it('shows CPU with two decimals, blank for zero and unknown, < 0.01 for a trace', () => {
    expect(formatCpuPercent(null)).toBe('');
    expect(formatCpuPercent(0)).toBe('');
    expect(formatCpuPercent(0.004)).toBe('< 0.01');
    expect(formatCpuPercent(12.345)).toBe('12.35');
    expect(formatCpuPercent(100)).toBe('100.00');
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
});
