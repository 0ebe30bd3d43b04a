/*
 * The per-process facts that cost a handle each (image path, command line, user, elevation, integrity, bitness,
 * version-resource Description / Company, in a job, debug port), read once per process identity and cached until
 * the process goes; and .NET (a module list walk, costly) once per identity only while categories are asked for.
 * Runs in the main process / CLI. Access denied is normal here (other users' and protected processes): the facts
 * stay null, never an error row.
 */
import { readTokenFacts, type TokenIntegrity } from './ffi/advapi32';
import { openProcess, ProcessAccess, queryFullProcessImageName } from './ffi/kernel32';
import { readCommandLine, readIs32Bit } from './ffi/process-query';
import { enumProcessModules } from './ffi/process-memory';
import { hasDebugPort, isProcessInJob } from './ffi/system-performance';
import { readVersionStrings } from './ffi/version';
import type { WinHandle } from './ffi/win-types';

export interface ProcessExtras {
  exePath: string | null;
  commandLine: string | null;
  user: string | null;
  elevated: boolean | null;
  integrityLevel: TokenIntegrity | null;
  is32Bit: boolean | null;
  description: string | null;
  companyName: string | null;
  inJob: boolean | null;
  /** Read once, at first sight: a debugger attached later shows from the next new identity only (see backend). */
  beingDebugged: boolean | null;
}

const NO_EXTRAS: ProcessExtras = {
  exePath: null, commandLine: null, user: null, elevated: null,
  integrityLevel: null, is32Bit: null, description: null, companyName: null, inJob: null, beingDebugged: null,
};

/** The .NET runtimes' engine DLLs: clr.dll (Framework 4), mscorwks.dll (2.0–3.5), coreclr.dll (Core, 5+). */
const DOTNET_MODULES = new Set(['clr.dll', 'mscorwks.dll', 'coreclr.dll']);

/** Whether a .NET runtime is loaded, from the module list (QUERY_INFORMATION | VM_READ); null when unreadable. */
export function readIsDotNet(pid: number): boolean | null {
  if (pid === 0 || pid === 4) return false;
  const handle = openProcess(pid, ProcessAccess.QUERY_INFORMATION | ProcessAccess.VM_READ);
  if (!handle) return null;
  try {
    const modules = safe(() => enumProcessModules(handle));
    if (!modules) return null;
    return modules.some((m) => DOTNET_MODULES.has(m.path.slice(m.path.lastIndexOf('\\') + 1).toLowerCase()));
  } finally {
    handle.close();
  }
}

/** Opens with the most access we may get, stepping down; null when even the limited query right is denied. */
function openForQuery(pid: number): { handle: WinHandle; full: boolean } | null {
  const full = openProcess(pid, ProcessAccess.QUERY_INFORMATION | ProcessAccess.VM_READ);
  if (full) return { handle: full, full: true };
  const limited = openProcess(pid, ProcessAccess.QUERY_LIMITED_INFORMATION);
  return limited ? { handle: limited, full: false } : null;
}

function safe<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

export function readProcessExtras(pid: number): ProcessExtras {
  // pid 0 (Idle) and 4 (System) have no user-mode image, token or PEB.
  if (pid === 0 || pid === 4) return { ...NO_EXTRAS };
  const opened = openForQuery(pid);
  if (!opened) return { ...NO_EXTRAS };
  const { handle } = opened;
  try {
    const exePath = safe(() => queryFullProcessImageName(handle));
    const is32Bit = safe(() => readIs32Bit(handle));
    const commandLine = safe(() => readCommandLine(handle, is32Bit === true));
    const token = safe(() => readTokenFacts(handle));
    const version = exePath ? safe(() => readVersionStrings(exePath)) : null;
    const inJob = safe(() => isProcessInJob(handle));
    const beingDebugged = opened.full ? safe(() => hasDebugPort(handle)) : null;
    return {
      exePath,
      commandLine,
      user: token?.user ?? null,
      elevated: token?.elevated ?? null,
      integrityLevel: token?.integrityLevel ?? null,
      is32Bit,
      description: version?.description ?? null,
      companyName: version?.companyName ?? null,
      inJob,
      beingDebugged,
    };
  } finally {
    handle.close();
  }
}

/** Extras by process key; entries for keys not seen in the latest poll are dropped. */
export class ProcessExtrasCache {
  readonly #byKey = new Map<string, ProcessExtras>();
  readonly #dotNetByKey = new Map<string, boolean | null>();
  #reads = 0;

  get(key: string, pid: number): ProcessExtras {
    let extras = this.#byKey.get(key);
    if (!extras) {
      extras = readProcessExtras(pid);
      this.#reads++;
      this.#byKey.set(key, extras);
    }
    return extras;
  }

  /** .NET or not, looked up once per identity (the module list is the costly part of this file). */
  isDotNet(key: string, pid: number): boolean | null {
    let dotNet = this.#dotNetByKey.get(key);
    if (dotNet === undefined) {
      dotNet = readIsDotNet(pid);
      this.#dotNetByKey.set(key, dotNet);
    }
    return dotNet;
  }

  /** How many processes' extras were read so far (tests check that a second poll reads none). */
  get readCount(): number {
    return this.#reads;
  }

  retainOnly(keys: ReadonlySet<string>): void {
    for (const key of this.#byKey.keys()) if (!keys.has(key)) this.#byKey.delete(key);
    for (const key of this.#dotNetByKey.keys()) if (!keys.has(key)) this.#dotNetByKey.delete(key);
  }
}
