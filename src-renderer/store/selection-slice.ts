/*
 * The selected process, held by identity (pid + start time) so it survives re-sorting, filtering and updates,
 * and never jumps to a new process that reuses the pid.
 */
import type { StateCreator } from 'zustand';
import type { ProcessKey } from '../../src-shared/model/process';

export interface SelectionSlice {
  selectedKey: ProcessKey | null;
  select(key: ProcessKey | null): void;
}

export const createSelectionSlice: StateCreator<SelectionSlice, [], [], SelectionSlice> = (set) => ({
  selectedKey: null,
  select: (selectedKey) => set({ selectedKey }),
});
