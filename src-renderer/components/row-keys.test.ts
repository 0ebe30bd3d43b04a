import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProcscopeApi } from '../api/procscope-api';
import { appStore } from '../store/app-store';
import { testRow } from '../store/test-rows';
import { handleRowKey, rowAsTabSeparated, scrollTopToReveal } from './row-keys';

const key = (k: string, mods: Partial<{ shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({ key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('row keys', () => {
  afterEach(() => appStore.getState().closeDialog());

  it('scrolls a row clear of the sticky header: up to just below it, down to the bottom edge, not at all when shown', () => {
    // 20 px rows under a 24 px header (row i spans 24+20i..44+20i), a 200 px view scrolled to 400: rows 20..27 are
    // wholly visible between 424 and 600.
    expect(scrollTopToReveal(0, 400, 200, 20, 24)).toBe(0);
    expect(scrollTopToReveal(19, 400, 200, 20, 24)).toBe(380);
    expect(scrollTopToReveal(20, 400, 200, 20, 24)).toBeNull();
    expect(scrollTopToReveal(27, 400, 200, 20, 24)).toBeNull();
    expect(scrollTopToReveal(28, 400, 200, 20, 24)).toBe(404);
  });

  it('copies the visible columns in their order, tab-separated, with tabs and newlines in values made spaces', () => {
    const row = testRow(42, 1, 'worker', { commandLine: 'worker --a\t1\n--b' });
    expect(rowAsTabSeparated(row, ['name', 'pid', 'commandLine'])).toBe('worker\t42\tworker --a 1 --b');
  });

  it('Del asks to kill, Shift+Del to kill the tree, F5 refreshes (with or without a row); other keys are not ours', () => {
    const request = vi.fn(async () => null);
    const api = { request } as unknown as ProcscopeApi;
    const row = testRow(42, 1, 'worker');
    expect(handleRowKey(key('Delete'), row, api, ['name'])).toBe(true);
    expect(appStore.getState().dialog).toMatchObject({ type: 'confirm-kill', tree: false, row: { pid: 42 } });
    expect(handleRowKey(key('Delete', { shiftKey: true }), row, api, ['name'])).toBe(true);
    expect(appStore.getState().dialog).toMatchObject({ type: 'confirm-kill', tree: true });
    // Nothing is killed by the key itself: only the dialog's Kill asks main.
    expect(request).not.toHaveBeenCalled();
    expect(handleRowKey(key('F5'), null, api, ['name'])).toBe(true);
    expect(request).toHaveBeenCalledWith('procscope:refresh-now', {});
    expect(handleRowKey(key('Delete'), null, api, ['name'])).toBe(false);
    expect(handleRowKey(key('Delete', { ctrlKey: true }), row, api, ['name'])).toBe(false);
    expect(handleRowKey(key('x'), row, api, ['name'])).toBe(false);
  });
});
