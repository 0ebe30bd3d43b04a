import { describe, expect, it } from 'vitest';
import { emptyProcessRow, type ProcessRow } from '../../src-shared/model/process';
import { CATEGORY_IDS, DEFAULT_CATEGORY_STYLES, resolveCategory, type CategoryId } from './categories';

const row = (fields: Partial<ProcessRow>): ProcessRow => ({ ...emptyProcessRow(42, 1, 'x', 1000), ...fields });
const without = (...off: CategoryId[]) =>
  Object.fromEntries(CATEGORY_IDS.map((id) => [id, { ...DEFAULT_CATEGORY_STYLES[id], enabled: !off.includes(id) }])) as typeof DEFAULT_CATEGORY_STYLES;

describe('category colour resolution', () => {
  it('gives a plain row no colour', () => {
    expect(resolveCategory(row({ user: 'bob', state: 'sleeping' }), DEFAULT_CATEGORY_STYLES, 'alice')).toBeNull();
  });

  it.each<[string, Partial<ProcessRow>, CategoryId]>([
    ['a SIGSTOPped process', { state: 'stopped' }, 'suspended'],
    ['a Windows process with every thread suspended', { suspended: true, state: 'running' }, 'suspended'],
    ['a traced process', { state: 'traced' }, 'debugged'],
    ['a process with a debugger attached', { beingDebugged: true }, 'debugged'],
    ['a .NET process', { isDotNet: true }, 'dotnet'],
    ['a process in a job', { inJob: true }, 'job'],
    ['an elevated process', { elevated: true }, 'elevated'],
    ['a service host', { isService: true }, 'service'],
    ['a systemd unit', { services: ['nginx.service'] }, 'service'],
    ['the host user\'s process', { user: 'alice' }, 'own'],
    ['the host user\'s process named with its domain', { user: 'PC\\Alice' }, 'own'],
  ])('colours %s', (_what, fields, category) => {
    expect(resolveCategory(row(fields), DEFAULT_CATEGORY_STYLES, 'alice')).toBe(category);
  });

  it('lets a state beat a kind, and a narrower kind beat "own"', () => {
    const all = row({ user: 'alice', state: 'stopped', beingDebugged: true, isDotNet: true, inJob: true, elevated: true, isService: true });
    expect(resolveCategory(all, DEFAULT_CATEGORY_STYLES, 'alice')).toBe('suspended');
    expect(resolveCategory(all, without('suspended'), 'alice')).toBe('debugged');
    expect(resolveCategory(all, without('suspended', 'debugged'), 'alice')).toBe('dotnet');
    expect(resolveCategory(all, without('suspended', 'debugged', 'dotnet'), 'alice')).toBe('job');
    expect(resolveCategory(all, without('suspended', 'debugged', 'dotnet', 'job'), 'alice')).toBe('elevated');
    expect(resolveCategory(all, without('suspended', 'debugged', 'dotnet', 'job', 'elevated'), 'alice')).toBe('service');
    expect(resolveCategory(all, without('suspended', 'debugged', 'dotnet', 'job', 'elevated', 'service'), 'alice')).toBe('own');
    expect(resolveCategory(all, without(...CATEGORY_IDS), 'alice')).toBeNull();
  });

  it('does not call a process "own" when the host user is unknown or the row has none', () => {
    expect(resolveCategory(row({ user: 'alice' }), DEFAULT_CATEGORY_STYLES, null)).toBeNull();
    expect(resolveCategory(row({ user: null }), DEFAULT_CATEGORY_STYLES, 'alice')).toBeNull();
    expect(resolveCategory(row({ user: 'alice2' }), DEFAULT_CATEGORY_STYLES, 'alice')).toBeNull();
  });

  it('treats unknown (null) inputs as not in the category', () => {
    expect(resolveCategory(row({ isDotNet: null, inJob: null, elevated: null, suspended: null, beingDebugged: null }), DEFAULT_CATEGORY_STYLES, 'x')).toBeNull();
  });
});
