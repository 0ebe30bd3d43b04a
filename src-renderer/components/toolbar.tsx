/*
 * The toolbar: filter box, expand/collapse all, flat-list toggle, refresh rate and pause (the in-page equivalent
 * of the Electron View menu, so the browser host has them too), the column chooser and Analyze Dump… (File menu).
 */
import { forwardRef, useState } from 'react';
import { REFRESH_INTERVALS_MS } from '../../src-shared/model/process';
import { useApi } from '../api/api-context';
import { formatIntervalMs } from '../format/format';
import { useAppStore } from '../store/app-store';
import { startAnalyzeDump } from './analysis-actions';
import { ColumnChooser } from './column-chooser';
import { OptionsMenu } from './view-options';
import { usePollFields } from './poll-fields';
import { SystemGraphs } from './system-graphs';
import { collapseAllRows, expandAllRows, setRefreshInterval, togglePause } from './tree-actions';

export interface ToolbarProps {
  columnChooserOpen: boolean;
  setColumnChooserOpen(open: boolean): void;
}

export const Toolbar = forwardRef<HTMLInputElement, ToolbarProps>(function Toolbar(props, filterRef) {
  const api = useApi();
  usePollFields();
  const filterText = useAppStore((s) => s.filterText);
  const setFilterText = useAppStore((s) => s.setFilterText);
  const flatList = useAppStore((s) => s.flatList);
  const setFlatList = useAppStore((s) => s.setFlatList);
  const pollerState = useAppStore((s) => s.pollerState);
  const [error, setError] = useState<string | null>(null);
  const paused = pollerState?.intervalMs === 0;
  const run = (p: Promise<void>) => p.then(() => setError(null), (e: unknown) => setError(e instanceof Error ? e.message : String(e)));

  return (
    <div role="toolbar" aria-label="View" className="toolbar">
      <input
        ref={filterRef}
        type="search"
        className="filter-box"
        placeholder="Filter by name, PID or command line"
        aria-label="Filter by name, PID or command line"
        value={filterText}
        onChange={(e) => setFilterText(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && setFilterText('')}
      />
      <button type="button" onClick={expandAllRows} disabled={flatList}>
        Expand all
      </button>
      <button type="button" onClick={collapseAllRows} disabled={flatList}>
        Collapse all
      </button>
      <button type="button" aria-pressed={flatList} onClick={() => setFlatList(!flatList)}>
        Flat list
      </button>
      <button type="button" onClick={() => startAnalyzeDump(api)} title="Open a Linux core or a Windows minidump and show its redacted report">
        Analyze Dump…
      </button>
      <span className="toolbar-gap" />
      <SystemGraphs />
      <label className="refresh-label">
        Refresh
        <select
          aria-label="Refresh rate"
          value={pollerState ? (paused ? pollerState.lastRunningIntervalMs : pollerState.intervalMs) : 1000}
          disabled={!pollerState}
          onChange={(e) => run(setRefreshInterval(api, Number(e.target.value)))}
        >
          {REFRESH_INTERVALS_MS.map((ms) => (
            <option key={ms} value={ms}>
              {formatIntervalMs(ms)}
            </option>
          ))}
        </select>
      </label>
      <button type="button" aria-pressed={paused} disabled={!pollerState} onClick={() => run(togglePause(api))} title="Space">
        {paused ? 'Resume' : 'Pause'}
      </button>
      <div className="chooser-anchor">
        <button type="button" aria-expanded={props.columnChooserOpen} onClick={() => props.setColumnChooserOpen(!props.columnChooserOpen)}>
          Columns…
        </button>
        {props.columnChooserOpen && <ColumnChooser onClose={() => props.setColumnChooserOpen(false)} />}
      </div>
      <OptionsMenu />
      {error && (
        <span role="alert" className="toolbar-error">
          {error}
        </span>
      )}
    </div>
  );
});
