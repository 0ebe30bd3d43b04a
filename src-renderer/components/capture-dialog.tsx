/*
 * The dialog of Capture… and Capture Children…: which processes (children, the process itself, or both, narrowed
 * by a name glob and a command-line regex), which triggers (start, exit, crash, CPU, memory, series), full or mini,
 * the folder (the remembered dump folder), the hold deadline and optional limits, "Run as administrator", and on Linux
 * fanotify exec mode (hold children at their exec of named binaries, the process itself not traced). Starts the watch with procscope:start-capture;
 * main re-checks everything and its refusal is shown here, in the dialog, in its own words.
 */
import { useEffect, useId, useState, type ChangeEvent, type ReactNode } from 'react';
import type { CaptureRule } from '../../src-shared/model/capture';
import { DUMP_SECRETS_WARNING } from '../../src-shared/model/dump';
import type { ProcessRow } from '../../src-shared/model/process';
import { useApi } from '../api/api-context';
import { useAppStore } from '../store/app-store';
import { MAX_EXEC_PATHS } from '../../src-shared/model/capture';
import { captureArgsFromForm, captureDialogTitle, initialCaptureForm, type CaptureForm } from './capture-form';
import { DialogFooter } from './dialog-footer';
import { ModalDialog } from './modal-dialog';

const SCOPES: { value: CaptureRule['scope']; label: string }[] = [
  { value: 'descendants', label: 'Its children (and theirs)' },
  { value: 'self', label: 'This process' },
  { value: 'self-and-descendants', label: 'Both' },
];

function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="capture-field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

interface ThresholdChoiceProps {
  label: string;
  unit: string;
  /** The number field's accessible name: the label and unit are separate elements. */
  inputLabel: string;
  checked: boolean;
  onToggle(e: ChangeEvent<HTMLInputElement>): void;
  value: string;
  onValue(value: string): void;
}

/** A trigger checkbox with its threshold beside it; the number can be edited only while the trigger is on. */
function ThresholdChoice({ label, unit, inputLabel, checked, onToggle, value, onValue }: ThresholdChoiceProps) {
  return (
    <div className="capture-choice">
      <label className="capture-choice">
        <input type="checkbox" checked={checked} onChange={onToggle} />
        {label}
      </label>
      <input type="text" inputMode="numeric" aria-label={inputLabel} className="capture-number" value={value} disabled={!checked} onChange={(e) => onValue(e.target.value)} />
      <span aria-hidden="true">{unit}</span>
    </div>
  );
}

/** CPU, memory and series (ProcDump -c, -m, -n/-s): each process is sampled once a second while it runs. */
function SampledTriggers({ form, set }: { form: CaptureForm; set(patch: Partial<CaptureForm>): void }) {
  const toggle = (t: 'cpu' | 'memory' | 'series') => (e: ChangeEvent<HTMLInputElement>) => set({ triggers: { ...form.triggers, [t]: e.target.checked } });
  const { cpu, memory, series } = form.triggers;
  return (
    <>
      <ThresholdChoice label="CPU at or above" unit="% of one core" inputLabel="CPU threshold (% of one core)" checked={cpu} onToggle={toggle('cpu')} value={form.cpuPercent} onValue={(cpuPercent) => set({ cpuPercent })} />
      <ThresholdChoice label="Memory at or above" unit="MB" inputLabel="Memory threshold (MB)" checked={memory} onToggle={toggle('memory')} value={form.memoryMb} onValue={(memoryMb) => set({ memoryMb })} />
      <label className="capture-choice">
        <input type="checkbox" checked={series} onChange={toggle('series')} />
        A series of dumps (a hang)
      </label>
      {(cpu || memory || series) && (
        <div className="capture-limits capture-sub">
          <Field label={series ? 'Seconds apart' : 'For seconds (then rest as long)'}>
            {(id) => <input id={id} type="text" inputMode="numeric" value={form.monitorSeconds} onChange={(e) => set({ monitorSeconds: e.target.value })} />}
          </Field>
          <Field label="Dumps per process">
            {(id) => <input id={id} type="text" inputMode="numeric" value={form.monitorCount} onChange={(e) => set({ monitorCount: e.target.value })} />}
          </Field>
        </div>
      )}
    </>
  );
}

/**
 * Linux's second mode (CAPTURE.md §5): for a parent that takes many signals (JVM, Go, .NET) or already has a
 * debugger. Choosing it watches the children only.
 */
function ExecMode({ form, set }: { form: CaptureForm; set(patch: Partial<CaptureForm>): void }) {
  const id = useId();
  return (
    <fieldset>
      <legend>Mode</legend>
      <label className="capture-choice">
        <input type="checkbox" checked={form.execMode} onChange={(e) => set(e.target.checked ? { execMode: true, scope: 'descendants' } : { execMode: false })} />
        Hold at exec of these binaries (fanotify, parent not traced)
      </label>
      {form.execMode && (
        <div className="capture-field capture-sub">
          <label htmlFor={id}>Binaries, one full path a line (at most {MAX_EXEC_PATHS})</label>
          <textarea id={id} rows={3} spellCheck={false} value={form.execPaths} placeholder="/usr/bin/pwsh" onChange={(e) => set({ execPaths: e.target.value })} />
        </div>
      )}
    </fieldset>
  );
}

export function CaptureDialog({ row, scope, onClose }: { row: ProcessRow; scope: CaptureRule['scope']; onClose(): void }) {
  const api = useApi();
  const chooseFolder = useAppStore((s) => s.capabilities?.chooseFolder ?? false);
  // A host that writes ELF cores runs on Linux, the only OS with fanotify exec mode.
  const linux = useAppStore((s) => s.capabilities?.dumpFormat === 'elf-core');
  const warningId = useId();
  const [form, setForm] = useState<CaptureForm>(() => initialCaptureForm(scope));
  const [folderLoaded, setFolderLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<CaptureForm>) => setForm((f) => ({ ...f, ...patch }));

  useEffect(() => {
    let live = true;
    api.request('procscope:get-dump-settings', {}).then(
      (settings) => live && setForm((f) => (f.folder ? f : { ...f, folder: settings.dumpDir })),
      (err: unknown) => live && setError(`The remembered folder could not be read: ${err instanceof Error ? err.message : String(err)}`),
    ).finally(() => live && setFolderLoaded(true));
    return () => {
      live = false;
    };
  }, [api]);

  const browse = async () => {
    try {
      const picked = await api.request('procscope:choose-dump-folder', form.folder ? { defaultPath: form.folder } : {});
      if (picked) set({ folder: picked });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const start = async () => {
    const built = captureArgsFromForm(row, form);
    if (!built.ok) return setError(built.error);
    setBusy(true);
    setError(null);
    try {
      await api.request('procscope:start-capture', built.args);
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <ModalDialog title={captureDialogTitle(scope)} onClose={onClose} describedBy={warningId} className="capture-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <p>
          {row.name} (PID {row.pid}): each matching process is held the instant it exists and dumped when a trigger fires, then
          runs on.
        </p>
        <fieldset>
          <legend>Which processes</legend>
          {SCOPES.map((s) => (
            <label key={s.value} className="capture-choice">
              <input
                type="radio"
                name="capture-scope"
                checked={form.scope === s.value}
                disabled={form.execMode && s.value !== 'descendants'}
                onChange={() => set({ scope: s.value })}
              />
              {s.label}
            </label>
          ))}
          <Field label="Name pattern (* and ?; empty: any)">
            {(id) => <input id={id} type="text" spellCheck={false} value={form.nameGlob} placeholder="Calamari*" onChange={(e) => set({ nameGlob: e.target.value })} />}
          </Field>
          <Field label="Command line matches (regular expression; empty: any)">
            {(id) => <input id={id} type="text" spellCheck={false} value={form.cmdlineRegex} onChange={(e) => set({ cmdlineRegex: e.target.value })} />}
          </Field>
        </fieldset>
        {linux && <ExecMode form={form} set={set} />}
        <fieldset>
          <legend>Dump when</legend>
          <label className="capture-choice">
            <input type="checkbox" checked={form.triggers.start} onChange={(e) => set({ triggers: { ...form.triggers, start: e.target.checked } })} />
            At start
          </label>
          <label className="capture-choice">
            <input type="checkbox" checked={form.triggers.exit} onChange={(e) => set({ triggers: { ...form.triggers, exit: e.target.checked } })} />
            At exit
          </label>
          <label className="capture-choice capture-sub">
            <input type="checkbox" checked={form.exitNonZeroOnly} disabled={!form.triggers.exit} onChange={(e) => set({ exitNonZeroOnly: e.target.checked })} />
            Only when the exit code is not 0
          </label>
          <label className="capture-choice">
            <input type="checkbox" checked={form.triggers.crash} onChange={(e) => set({ triggers: { ...form.triggers, crash: e.target.checked } })} />
            On a crash
          </label>
          <SampledTriggers form={form} set={set} />
        </fieldset>
        <fieldset>
          <legend>Dump type</legend>
          <label className="capture-choice">
            <input type="radio" name="capture-kind" checked={form.kind === 'mini'} onChange={() => set({ kind: 'mini' })} />
            Minidump
          </label>
          <label className="capture-choice">
            <input type="radio" name="capture-kind" checked={form.kind === 'full'} onChange={() => set({ kind: 'full' })} />
            Full dump
          </label>
        </fieldset>
        <Field label="Folder">
          {(id) => (
            <div className="folder-row">
              <input
                id={id}
                type="text"
                spellCheck={false}
                value={form.folder}
                readOnly={!folderLoaded}
                placeholder={folderLoaded ? '/path/to/folder' : 'Loading the remembered folder…'}
                onChange={(e) => set({ folder: e.target.value })}
              />
              {chooseFolder && (
                <button type="button" onClick={() => void browse()}>
                  Browse…
                </button>
              )}
            </div>
          )}
        </Field>
        <div className="capture-limits">
          <Field label="Hold deadline (s)">
            {(id) => <input id={id} type="text" inputMode="decimal" value={form.holdSeconds} onChange={(e) => set({ holdSeconds: e.target.value })} />}
          </Field>
          <Field label="Stop after N dumps">
            {(id) => <input id={id} type="text" inputMode="numeric" value={form.maxDumps} placeholder="no limit" onChange={(e) => set({ maxDumps: e.target.value })} />}
          </Field>
          <Field label="Stop after (s)">
            {(id) => <input id={id} type="text" inputMode="decimal" value={form.stopAfterSeconds} placeholder="no limit" onChange={(e) => set({ stopAfterSeconds: e.target.value })} />}
          </Field>
        </div>
        <label className="capture-choice">
          <input type="checkbox" checked={form.elevated} onChange={(e) => set({ elevated: e.target.checked })} />
          Run as administrator
        </label>
        <p id={warningId} className="secrets-warning">
          {DUMP_SECRETS_WARNING} A held process waits at most the hold deadline, then runs on; nothing is ever killed.
        </p>
        <DialogFooter error={error} onCancel={onClose}>
          <button type="submit" disabled={busy || !folderLoaded}>
            Start
          </button>
        </DialogFooter>
      </form>
    </ModalDialog>
  );
}
