/*
 * The Properties window of one process (issue 14): Process Explorer's tabs — Image, Performance, Threads, Modules,
 * Handles, TCP/IP, Services, Environment — live while open: the shown tab is read again every refresh interval
 * (not while paused). An error of one tab is a sentence in that tab; when the process exits the window says so and
 * keeps the last data. The environment is read only after its warning and an explicit Show.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { DetailPart } from '../../../src-shared/model/process-detail';
import { useApi } from '../../api/api-context';
import { appStore, useAppStore } from '../../store/app-store';
import type { PartView, PropertiesTarget } from '../../store/detail-slice';
import { DetailTable, PartState, type DetailColumn } from './detail-table';
import { HANDLE_COLUMNS, MODULE_COLUMNS, SERVICE_COLUMNS, SOCKET_COLUMNS } from './detail-columns';
import { ImageTab, imageName } from './image-tab';
import { PerformanceTab } from './performance-tab';
import { PROPERTIES_TABS, startPropertiesRefresh, type PropertiesTab } from './properties-actions';
import { ThreadsTab } from './threads-tab';

export const ENVIRONMENT_WARNING =
  'The environment may hold secrets: tokens, passwords and keys are often passed this way. Show it only where nobody else can read your screen.';

function partsFor(tab: PropertiesTab, environmentShown: boolean, imageKnown: boolean): DetailPart[] {
  const parts = PROPERTIES_TABS.find((t) => t.id === tab)!.parts.filter((p) => p !== 'environment' || environmentShown);
  // The title and the header come from the image part: read it once even when another tab is shown.
  if (!imageKnown && !parts.includes('image')) parts.push('image');
  return parts;
}

function TablePart<T>({ view, label, columns, rowKey, empty }: { view: PartView<T[]> | undefined; label: string; columns: readonly DetailColumn<T>[]; rowKey(row: T): string; empty: string }) {
  return <PartState view={view}>{(rows) => <DetailTable label={label} columns={columns} rows={rows} rowKey={rowKey} empty={empty} />}</PartState>;
}

export function PropertiesWindow({ target }: { target: PropertiesTarget }) {
  const api = useApi();
  const state = useAppStore((s) => s.properties);
  const [tab, setTab] = useState<PropertiesTab>('image');
  const [environmentShown, setEnvironmentShown] = useState(false);
  const wanted = useRef({ tab, environmentShown });
  const loop = useRef<ReturnType<typeof startPropertiesRefresh> | null>(null);
  const baseId = useId();

  useEffect(() => {
    appStore.getState().openPropertiesState(target);
    api.request('procscope:get-app-info', {}).then(
      (info) => appStore.getState().setCapabilities(info.capabilities),
      () => {},
    );
    const refresh = startPropertiesRefresh(api, appStore, {
      parts: () => partsFor(wanted.current.tab, wanted.current.environmentShown, appStore.getState().properties?.parts.image?.value != null),
    });
    loop.current = refresh;
    return () => {
      refresh.stop();
      loop.current = null;
    };
  }, [api, target]);

  useEffect(() => {
    const changed = wanted.current.tab !== tab || wanted.current.environmentShown !== environmentShown;
    wanted.current = { tab, environmentShown };
    if (changed) void loop.current?.refresh();
  }, [tab, environmentShown]);

  const image = state?.parts.image?.value ?? null;
  const name = imageName(image);
  const title = `Properties: ${name ?? 'process'} (PID ${target.pid})`;
  useEffect(() => {
    document.title = state?.exited ? `${title} — exited` : title;
  }, [title, state?.exited]);

  const onTabKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const at = PROPERTIES_TABS.findIndex((t) => t.id === tab);
    const next = PROPERTIES_TABS[(at + (e.key === 'ArrowRight' ? 1 : PROPERTIES_TABS.length - 1)) % PROPERTIES_TABS.length]!;
    setTab(next.id);
    document.getElementById(`${baseId}-tab-${next.id}`)?.focus();
  };

  const parts = state?.parts ?? {};
  return (
    <div className="properties-window">
      <header className="properties-header">
        <h1>{title}</h1>
        {state?.exited && (
          <p role="status" className="properties-exited">
            Process exited — the last data read is shown.
          </p>
        )}
        {state?.callError && (
          <p role="alert" className="properties-call-error">
            {state.callError}
          </p>
        )}
      </header>
      <div role="tablist" aria-label="Properties" className="properties-tabs" onKeyDown={onTabKey}>
        {PROPERTIES_TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`${baseId}-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`${baseId}-panel`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${baseId}-panel`} aria-labelledby={`${baseId}-tab-${tab}`} className="properties-panel">
        {tab === 'image' && <ImageTab view={parts.image} target={target} />}
        {tab === 'performance' && <PerformanceTab view={parts.performance} history={state?.performanceHistory ?? []} />}
        {tab === 'threads' && <ThreadsTab view={parts.threads} exited={state?.exited ?? false} />}
        {tab === 'modules' && <TablePart view={parts.modules} label="Modules" columns={MODULE_COLUMNS} rowKey={(m) => `${m.baseAddress}:${m.path}`} empty="No modules." />}
        {tab === 'handles' && <TablePart view={parts.handles} label="Handles" columns={HANDLE_COLUMNS} rowKey={(h) => h.handle} empty="No handles." />}
        {tab === 'tcpip' && (
          <TablePart
            view={parts.sockets}
            label="TCP/IP"
            columns={SOCKET_COLUMNS}
            rowKey={(s) => `${s.protocol} ${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort}`}
            empty="No sockets."
          />
        )}
        {tab === 'services' && <TablePart view={parts.services} label="Services" columns={SERVICE_COLUMNS} rowKey={(s) => s.name} empty="This process hosts no service." />}
        {tab === 'environment' &&
          (environmentShown ? (
            <TablePart
              view={parts.environment}
              label="Environment"
              columns={[
                { label: 'Variable', value: (v) => v.name },
                { label: 'Value', value: (v) => v.value },
              ]}
              rowKey={(v) => v.name}
              empty="The environment is empty."
            />
          ) : (
            <div className="environment-warning">
              <p className="secrets-warning">{ENVIRONMENT_WARNING}</p>
              <button type="button" onClick={() => setEnvironmentShown(true)}>
                Show
              </button>
            </div>
          ))}
      </div>
    </div>
  );
}
