/*
 * Persistent capture on Windows (issue 12), as pure planning: which HKLM keys and values make Windows itself dump a
 * named image at a crash (WER LocalDumps) or at its exit (Silent Process Exit), and which of them to take away again.
 * It reads a snapshot of the keys (PersistentState) and returns registry operations or a refusal sentence; it never
 * touches the registry (persistent-apply.ts does, in the elevated helper or an elevated CLI). It never overwrites
 * what it did not write: a key or GlobalFlag someone else set is refused, not recorded and restored, so a removal
 * can never put back a stale copy over a setting its owner changed meanwhile, and there is no saved copy to tamper
 * with. Everything it writes carries the ProcscopeOwned marker, and removal deletes only marked things.
 *
 * Registry facts (learn.microsoft.com; MicrosoftDocs/windows-driver-docs and MicrosoftDocs/win32 sources):
 * - windows-hardware/drivers/debugger/registry-entries-for-silent-process-exit ("Monitoring Silent Process Exit"):
 *   IFEO\<image>\GlobalFlag carries FLG_MONITOR_SILENT_PROCESS_EXIT 0x200 (enable-silent-process-exit-monitoring);
 *   SilentProcessExit\<image>: ReportingMode bit OR (LAUNCH_MONITORPROCESS 0x1, LOCAL_DUMP 0x2, NOTIFICATION 0x4),
 *   IgnoreSelfExits (0 = both self and cross-process termination), LocalDumpFolder (default %TEMP%\Silent Process
 *   Exit), MaxNumberOfDumpFiles (default 10), DumpType = a MINIDUMP_TYPE bit OR. A cross-process termination also
 *   dumps the process that did the terminating. Not detected: the last thread exiting, kernel-initiated ends.
 *   CAPTURE.md §4 notes an older page spelled MaximumNumberOfDumpFiles [unverified]: both are written.
 * - windows/win32/wer/collecting-user-mode-dumps: LocalDumps[\<image>] DumpFolder REG_EXPAND_SZ, DumpCount REG_DWORD
 *   (default 10), DumpType REG_DWORD 0 custom / 1 mini / 2 full; per-application keys override the global values.
 *   No dump when AeDebug automatic debugging is set; "applications that do their own crash reporting" (.NET) are
 *   not covered.
 */
import { FULL_DUMP_FLAGS, MINI_DUMP_FLAGS } from '../../dump/win32/minidump-flags';

export type PersistentTrigger = 'crash' | 'exit';
export type PersistentKind = 'mini' | 'full';

export interface PersistentRequest {
  /** A bare image name such as hostname.exe (checkImageName). */
  image: string;
  triggers: readonly PersistentTrigger[];
  kind: PersistentKind;
  /** Absolute folder Windows writes the dumps into; checked (exists, a real folder, the requester's) by the caller. */
  folder: string;
}

/** Key paths below HKEY_LOCAL_MACHINE. */
export const IFEO_KEY = 'SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options';
export const SILENT_EXIT_KEY = 'SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SilentProcessExit';
export const LOCAL_DUMPS_KEY = 'SOFTWARE\\Microsoft\\Windows\\Windows Error Reporting\\LocalDumps';

export const FLG_MONITOR_SILENT_PROCESS_EXIT = 0x200;
const LOCAL_DUMP = 0x2;
const DUMP_COUNT = 10;
/** Our marker: 1 = Procscope created this key, 2 = the key was there and Procscope added GlobalFlag's 0x200 bit to it. */
export const OWNED = 'ProcscopeOwned';
/** In our own image key: Procscope also created the parent (LocalDumps or SilentProcessExit), to delete when left empty. */
export const CREATED_PARENT = 'ProcscopeCreatedParent';

export type RegValue =
  | { type: 'dword'; data: number }
  | { type: 'sz' | 'expand-sz'; data: string }
  | { type: 'other'; data: null };

/** One key as read: its values by lower-cased name (registry names ignore case) and its subkeys' names. */
export interface RegKeyState {
  values: ReadonlyMap<string, RegValue & { name: string }>;
  subkeys: readonly string[];
}

/** The keys one image's persistent capture involves, each null when absent. */
export interface PersistentState {
  ifeo: RegKeyState | null;
  silentExitParent: RegKeyState | null;
  silentExit: RegKeyState | null;
  localDumpsParent: RegKeyState | null;
  localDumps: RegKeyState | null;
}

export type RegOp =
  /** Create (or open) the key; `mustBeNew`: it was absent when read, so finding it there now aborts the plan. */
  | { op: 'create-key'; key: string; mustBeNew: boolean }
  | { op: 'set'; key: string; name: string; value: RegValue }
  | { op: 'delete-value'; key: string; name: string }
  /** Deletes a key that has no subkeys (RegDeleteKeyEx refuses one that has). */
  | { op: 'delete-key'; key: string };

export type Plan = { ok: true; ops: RegOp[]; notes: string[] } | { ok: false; error: string };

/** What `persist list` shows of one image. */
export interface PersistentEntry {
  image: string;
  trigger: PersistentTrigger;
  kind: PersistentKind | 'other';
  folder: string | null;
}

export const keyOf = {
  ifeo: (image: string): string => `${IFEO_KEY}\\${image}`,
  silentExit: (image: string): string => `${SILENT_EXIT_KEY}\\${image}`,
  localDumps: (image: string): string => `${LOCAL_DUMPS_KEY}\\${image}`,
};

/**
 * Images refused by name, each with the reason. lsass.exe holds the machine's credentials: its dump is the
 * credential-theft technique that EDR rules (Sigma registry_event_silentprocessexit_lsass, level critical) look for.
 * The others are critical system processes (their end stops Windows with a bugcheck) that run protected or in
 * session 0 before any user: a dump at their exit is never written, and the keys alone look like an attack.
 */
const REFUSED_IMAGES: ReadonlyMap<string, string> = new Map([
  ['lsass.exe', 'lsass.exe holds the credentials of everyone signed in to this machine; a standing dump of it is the credential-theft technique security products look for, so Procscope never sets one up.'],
  ['csrss.exe', 'csrss.exe is a critical, protected system process: Windows stops with a bugcheck when it ends, so an exit dump is never written, and the keys alone look like an attack.'],
  ['wininit.exe', 'wininit.exe is a critical system process: Windows stops with a bugcheck when it ends, so an exit dump is never written, and the keys alone look like an attack.'],
  ['smss.exe', 'smss.exe (the session manager) is a critical system process that runs before any user: its dumps would be of the boot, and the keys alone look like an attack.'],
  ['services.exe', 'services.exe is a critical, protected system process: Windows stops with a bugcheck when it ends, so an exit dump is never written.'],
  ['winlogon.exe', 'winlogon.exe is a critical system process that handles sign-in secrets: Windows ends the session when it ends, and a dump of it holds credentials.'],
]);

/** The refusal sentence for an image name, or null when it may be used: a bare, plain `NAME.exe` of at most 64 characters. */
export function checkImageName(image: string): string | null {
  const shown = JSON.stringify(image.slice(0, 80));
  if (image.length === 0) return 'Name the image, as NAME.exe.';
  if (/[\\/:]/.test(image)) return `The image ${shown} must be a bare file name such as hostname.exe, without a folder or drive.`;
  if (image.includes('..')) return `The image ${shown} must not contain "..".`;
  if (image.length > 64) return `The image name must be at most 64 characters (it has ${image.length}).`;
  if (!/^[A-Za-z0-9_-][A-Za-z0-9 ._-]*\.exe$/i.test(image) || image.endsWith(' .exe')) {
    return `The image ${shown} must be a plain NAME.exe: letters, digits, '.', '_', '-' and inner spaces, ending in .exe.`;
  }
  const refused = REFUSED_IMAGES.get(image.toLowerCase());
  return refused ? `Refused: ${refused}` : null;
}

/** The refusal sentence for a dump folder's text, or null. Its existence, type, owner and links are checked on the OS. */
export function checkFolderText(folder: string): string | null {
  if (!/^[A-Za-z]:\\/.test(folder)) return `The folder must be an absolute local path such as C:\\Dumps, not ${JSON.stringify(folder.slice(0, 200))}.`;
  // DumpFolder is REG_EXPAND_SZ: a '%' would be expanded by Windows, in the crashing process's environment, later.
  if (folder.includes('%')) return "The folder must not contain '%': Windows would expand it as an environment variable when it writes the dump.";
  if (folder.length > 240) return 'The folder path must be at most 240 characters.';
  if ([...folder].some((c) => c.charCodeAt(0) < 0x20) || /["<>|?*]/.test(folder.slice(2))) return 'The folder path contains a character Windows does not allow in a path.';
  return null;
}

const lower = (s: string): string => s.toLowerCase();
function value(key: RegKeyState | null, name: string): RegValue | null {
  return key?.values.get(lower(name)) ?? null;
}
function ownedMark(key: RegKeyState | null): number | null {
  const v = value(key, OWNED);
  return v?.type === 'dword' ? v.data : null;
}
const dword = (data: number): RegValue => ({ type: 'dword', data });

/** The ops for one trigger on one image, or the refusal (nothing has been written yet when a plan is refused). */
export function planInstall(request: PersistentRequest, state: PersistentState): Plan {
  const imageError = checkImageName(request.image);
  if (imageError) return { ok: false, error: imageError };
  const folderError = checkFolderText(request.folder);
  if (folderError) return { ok: false, error: folderError };
  if (request.triggers.length === 0) return { ok: false, error: 'Choose --on crash, --on exit or both.' };
  const ops: RegOp[] = [];
  const notes: string[] = [];
  const image = lower(request.image);
  if (request.triggers.includes('crash')) {
    if (state.localDumps && ownedMark(state.localDumps) !== 1) {
      return { ok: false, error: `${LOCAL_DUMPS_KEY}\\${image} already exists and was not written by Procscope; it is left as it is. Remove or change it yourself (it is another tool's or an administrator's setting).` };
    }
    const key = keyOf.localDumps(image);
    const createParent = state.localDumpsParent === null;
    if (createParent) {
      ops.push({ op: 'create-key', key: LOCAL_DUMPS_KEY, mustBeNew: true });
      notes.push(
        `${LOCAL_DUMPS_KEY} did not exist, so Procscope created it. Its own values are Windows' settings for every program; it has none, so while it exists Windows may also keep crash dumps of other programs in their %LOCALAPPDATA%\\CrashDumps. Removal deletes it again if nothing else was added to it.`,
      );
    }
    ops.push({ op: 'create-key', key, mustBeNew: state.localDumps === null });
    // The marker first: a plan cut short leaves a key that removal recognises as ours.
    ops.push({ op: 'set', key, name: OWNED, value: dword(1) });
    if (createParent) ops.push({ op: 'set', key, name: CREATED_PARENT, value: dword(1) });
    ops.push({ op: 'set', key, name: 'DumpFolder', value: { type: 'expand-sz', data: request.folder } });
    ops.push({ op: 'set', key, name: 'DumpCount', value: dword(DUMP_COUNT) });
    ops.push({ op: 'set', key, name: 'DumpType', value: dword(request.kind === 'full' ? 2 : 1) });
  }
  if (request.triggers.includes('exit')) {
    if (state.silentExit && ownedMark(state.silentExit) !== 1) {
      return { ok: false, error: `${SILENT_EXIT_KEY}\\${image} already exists and was not written by Procscope; it is left as it is. Remove or change it yourself.` };
    }
    const globalFlag = value(state.ifeo, 'GlobalFlag');
    const ifeoMark = ownedMark(state.ifeo);
    if (globalFlag && ifeoMark === null) {
      const shown = globalFlag.type === 'dword' ? `0x${globalFlag.data.toString(16)}` : 'a value that is not a DWORD';
      return { ok: false, error: `${IFEO_KEY}\\${image} already has a GlobalFlag (${shown}) that Procscope did not set; it is left as it is, so Silent Process Exit was not set up. Clear it yourself (gflags) if it is no longer wanted.` };
    }
    if (globalFlag && globalFlag.type !== 'dword') return { ok: false, error: `${IFEO_KEY}\\${image}\\GlobalFlag is not a DWORD, so Procscope leaves it alone.` };
    const key = keyOf.silentExit(image);
    const createParent = state.silentExitParent === null;
    if (createParent) ops.push({ op: 'create-key', key: SILENT_EXIT_KEY, mustBeNew: true });
    ops.push({ op: 'create-key', key, mustBeNew: state.silentExit === null });
    ops.push({ op: 'set', key, name: OWNED, value: dword(1) });
    if (createParent) ops.push({ op: 'set', key, name: CREATED_PARENT, value: dword(1) });
    ops.push({ op: 'set', key, name: 'ReportingMode', value: dword(LOCAL_DUMP) });
    // 0: a deployment step that calls ExitProcess with its error code is the case this is for.
    ops.push({ op: 'set', key, name: 'IgnoreSelfExits', value: dword(0) });
    ops.push({ op: 'set', key, name: 'LocalDumpFolder', value: { type: 'sz', data: request.folder } });
    ops.push({ op: 'set', key, name: 'DumpType', value: dword(request.kind === 'full' ? FULL_DUMP_FLAGS : MINI_DUMP_FLAGS) });
    ops.push({ op: 'set', key, name: 'MaxNumberOfDumpFiles', value: dword(DUMP_COUNT) });
    ops.push({ op: 'set', key, name: 'MaximumNumberOfDumpFiles', value: dword(DUMP_COUNT) });
    // GlobalFlag last: the bit is what arms the monitoring, so it is set only once its settings are in place.
    const ifeo = keyOf.ifeo(image);
    ops.push({ op: 'create-key', key: ifeo, mustBeNew: state.ifeo === null });
    if (ifeoMark === null) ops.push({ op: 'set', key: ifeo, name: OWNED, value: dword(state.ifeo === null ? 1 : 2) });
    const before = globalFlag?.type === 'dword' ? globalFlag.data : 0;
    ops.push({ op: 'set', key: ifeo, name: 'GlobalFlag', value: dword((before | FLG_MONITOR_SILENT_PROCESS_EXIT) >>> 0) });
    notes.push('A process that another process terminates is dumped too, and so is the process that terminated it (Silent Process Exit does that by design).');
  }
  return { ok: true, ops, notes };
}

/** Our own values in each key we create; anything else found there at removal is someone else's and stays. */
const OUR_LOCAL_DUMPS_VALUES = [OWNED, CREATED_PARENT, 'DumpFolder', 'DumpCount', 'DumpType'];
const OUR_SILENT_EXIT_VALUES = [OWNED, CREATED_PARENT, 'ReportingMode', 'IgnoreSelfExits', 'LocalDumpFolder', 'DumpType', 'MaxNumberOfDumpFiles', 'MaximumNumberOfDumpFiles'];

/** Deletes our key whole when nothing foreign is in it, else only our values; then the parent we created, if left empty. */
function removeOwnKey(ops: RegOp[], notes: string[], key: string, state: RegKeyState, ours: readonly string[], parentKey: string, parent: RegKeyState | null): void {
  const oursLower = new Set(ours.map(lower));
  const foreign = [...state.values.values()].filter((v) => !oursLower.has(lower(v.name)));
  if (foreign.length === 0 && state.subkeys.length === 0) {
    ops.push({ op: 'delete-key', key });
  } else {
    for (const name of ours) if (state.values.has(lower(name))) ops.push({ op: 'delete-value', key, name });
    notes.push(`${key} holds values or subkeys Procscope did not write (${[...foreign.map((v) => v.name), ...state.subkeys].slice(0, 5).join(', ')}), so only Procscope's values were removed from it.`);
    return;
  }
  const createdParent = value(state, CREATED_PARENT);
  if (createdParent?.type !== 'dword' || createdParent.data !== 1 || !parent) return;
  const own = lower(key.slice(parentKey.length + 1));
  const otherSubkeys = parent.subkeys.filter((s) => lower(s) !== own);
  if (parent.values.size === 0 && otherSubkeys.length === 0) ops.push({ op: 'delete-key', key: parentKey });
  else notes.push(`${parentKey}, which Procscope created, now holds other settings, so it was left in place.`);
}

/** The ops that take away everything Procscope wrote for this image, and nothing else. */
export function planRemove(image: string, state: PersistentState): Plan {
  if (image.length === 0 || image.length > 64 || /[\\/:]/.test(image) || image.includes('..')) {
    return { ok: false, error: `The image ${JSON.stringify(image.slice(0, 80))} must be a bare file name such as hostname.exe.` };
  }
  const name = lower(image);
  const ops: RegOp[] = [];
  const notes: string[] = [];
  // Disarm first: the GlobalFlag bit, then the settings it pointed at.
  const ifeoMark = ownedMark(state.ifeo);
  if (state.ifeo && ifeoMark !== null) {
    const key = keyOf.ifeo(name);
    const flag = value(state.ifeo, 'GlobalFlag');
    const rest = flag?.type === 'dword' ? (flag.data & ~FLG_MONITOR_SILENT_PROCESS_EXIT) >>> 0 : null;
    // Bits someone added to GlobalFlag after us stay; only our 0x200 goes.
    const foreign = [...state.ifeo.values.values()].filter((v) => ![lower(OWNED), 'globalflag'].includes(lower(v.name)));
    if (ifeoMark === 1 && (rest === null || rest === 0) && foreign.length === 0 && state.ifeo.subkeys.length === 0) {
      ops.push({ op: 'delete-key', key });
    } else {
      if (rest === 0) ops.push({ op: 'delete-value', key, name: 'GlobalFlag' });
      else if (rest !== null) ops.push({ op: 'set', key, name: 'GlobalFlag', value: dword(rest) });
      ops.push({ op: 'delete-value', key, name: OWNED });
    }
  } else if (value(state.ifeo, 'GlobalFlag')) {
    notes.push(`${IFEO_KEY}\\${name}\\GlobalFlag is not Procscope's, so it was left as it is.`);
  }
  if (state.silentExit && ownedMark(state.silentExit) === 1) {
    removeOwnKey(ops, notes, keyOf.silentExit(name), state.silentExit, OUR_SILENT_EXIT_VALUES, SILENT_EXIT_KEY, state.silentExitParent);
  } else if (state.silentExit) {
    notes.push(`${SILENT_EXIT_KEY}\\${name} is not Procscope's, so it was left as it is.`);
  }
  if (state.localDumps && ownedMark(state.localDumps) === 1) {
    removeOwnKey(ops, notes, keyOf.localDumps(name), state.localDumps, OUR_LOCAL_DUMPS_VALUES, LOCAL_DUMPS_KEY, state.localDumpsParent);
  } else if (state.localDumps) {
    notes.push(`${LOCAL_DUMPS_KEY}\\${name} is not Procscope's, so it was left as it is.`);
  }
  if (ops.length === 0) notes.push(`Procscope has no persistent capture set up for ${name}; nothing was changed.`);
  return { ok: true, ops, notes };
}

/** What of this image's state is Procscope's persistent capture, for `persist list`. */
export function describeOurs(image: string, state: PersistentState): PersistentEntry[] {
  const entries: PersistentEntry[] = [];
  const text = (key: RegKeyState | null, name: string): string | null => {
    const v = value(key, name);
    return v && (v.type === 'sz' || v.type === 'expand-sz') ? v.data : null;
  };
  const dumpType = (key: RegKeyState | null): number | null => {
    const v = value(key, 'DumpType');
    return v?.type === 'dword' ? v.data : null;
  };
  if (ownedMark(state.localDumps) === 1) {
    const t = dumpType(state.localDumps);
    entries.push({ image, trigger: 'crash', kind: t === 2 ? 'full' : t === 1 ? 'mini' : 'other', folder: text(state.localDumps, 'DumpFolder') });
  }
  const flag = value(state.ifeo, 'GlobalFlag');
  const armed = flag?.type === 'dword' && (flag.data & FLG_MONITOR_SILENT_PROCESS_EXIT) !== 0;
  if (ownedMark(state.silentExit) === 1 && armed) {
    const t = dumpType(state.silentExit);
    entries.push({ image, trigger: 'exit', kind: t === FULL_DUMP_FLAGS ? 'full' : t === MINI_DUMP_FLAGS ? 'mini' : 'other', folder: text(state.silentExit, 'LocalDumpFolder') });
  }
  return entries;
}
