/*
 * The Image tab: what the process is (path, command line, folder, parent — "(exited)" when it is gone — user,
 * start time, version information, bitness, elevation) and the Create Dump… buttons, which open the same dump dialog
 * as the main window's menu (the job's progress is in the main window's jobs panel).
 */
import { useState } from 'react';
import type { DumpKind } from '../../../src-shared/model/dump';
import type { ImageDetail } from '../../../src-shared/model/process-detail';
import { emptyProcessRow } from '../../../src-shared/model/process';
import { formatStartTime } from '../../format/format';
import { useAppStore } from '../../store/app-store';
import type { PartView, PropertiesTarget } from '../../store/detail-slice';
import { DumpDialog } from '../dump-dialog';
import { PartState } from './detail-table';

const baseName = (path: string) => path.split(/[\\/]/).pop() ?? path;

/** The name a window is titled with: the image's file name, or (its path unreadable: another user's process on Linux)
 * the command line's first word's; null when neither is known. */
export function imageName(image: ImageDetail | null): string | null {
  if (image?.exePath) return baseName(image.exePath);
  const first = image?.commandLine?.trim().split(/\s+/)[0];
  return first ? baseName(first) || null : null;
}

export function parentText(image: ImageDetail): string {
  if (image.parentPid === 0) return 'None';
  if (image.parentExited) return `<Non-existent process> (PID ${image.parentPid}) (exited)`;
  return `${image.parentName ?? '?'} (PID ${image.parentPid})`;
}

const yesNo = (v: boolean | null) => (v === null ? '' : v ? 'Yes' : 'No');

export function imageFields(image: ImageDetail): [string, string][] {
  const fields: [string, string | null][] = [
    ['Path', image.exePath],
    ['Command line', image.commandLine],
    ['Current directory', image.currentDirectory],
    ['Parent', parentText(image)],
    ['User', image.user],
    ['Started', formatStartTime(image.startTimeMs)],
    ['Description', image.description],
    ['Company', image.companyName],
    ['Version', image.version],
    ['Package', image.packageOwner],
    ['Image', image.is32Bit === null ? null : image.is32Bit ? '32-bit' : '64-bit'],
    ['Elevated', yesNo(image.elevated) || null],
    ['Integrity', image.integrityLevel],
    ['Autostart location', image.autostartLocation],
  ];
  return fields.filter((f): f is [string, string] => f[1] !== null && f[1] !== '');
}

export function ImageTab({ view, target }: { view: PartView<ImageDetail> | undefined; target: PropertiesTarget }) {
  const capabilities = useAppStore((s) => s.capabilities);
  const exited = useAppStore((s) => s.properties?.exited ?? false);
  const [dump, setDump] = useState<DumpKind | null>(null);
  const canDump = (capabilities?.dumpFormat ?? 'none') !== 'none' && !exited;
  const image = view?.value ?? null;
  const name = imageName(image) ?? `PID ${target.pid}`;
  return (
    <div className="image-tab">
      <PartState view={view}>
        {(value) => (
          <dl className="properties-list">
            {imageFields(value).map(([label, text]) => (
              <div key={label} className="property">
                <dt>{label}</dt>
                <dd>{text}</dd>
              </div>
            ))}
          </dl>
        )}
      </PartState>
      <div className="image-actions">
        <button type="button" disabled={!canDump} onClick={() => setDump('mini')}>
          Create Minidump…
        </button>
        <button type="button" disabled={!canDump} onClick={() => setDump('full')}>
          Create Full Dump…
        </button>
      </div>
      {dump && (
        <DumpDialog
          row={emptyProcessRow(target.pid, image?.parentPid ?? 0, name, target.startTimeMs)}
          kind={dump}
          tree={false}
          onClose={() => setDump(null)}
        />
      )}
    </div>
  );
}
