/*
 * Shared koffi types and the one opaque handle class of the Windows FFI layer. Everything in platform/win32/ffi
 * (and dump/win32) builds on these. A WinHandle is an OS handle wrapped so that code above this folder can pass
 * it around and close it, but never read or forge the pointer inside.
 */
import koffi, { type LibraryHandle } from 'koffi';

/** HANDLE (winnt.h): an opaque pointer-sized value. Registered by name so prototypes can say `HANDLE`. */
export const HANDLE = koffi.pointer('HANDLE', koffi.opaque());

/** Loads a system DLL once HANDLE is registered (every loader goes through here, so the order is guaranteed). */
function loadWinLibrary(name: string): LibraryHandle {
  void HANDLE;
  return koffi.load(name);
}

export interface WinLibrary {
  /** The loaded DLL (loaded on first use). */
  lib(): LibraryHandle;
  /** A declared function, declared once per signature and cached. */
  fn(signature: string): KoffiFn;
}

/** A DLL loaded on first use, with its declared functions cached by signature. */
export function winLibrary(name: string): WinLibrary {
  let lib: LibraryHandle | null = null;
  const cache = new Map<string, KoffiFn>();
  const load = (): LibraryHandle => (lib ??= loadWinLibrary(name));
  return {
    lib: load,
    fn(signature: string): KoffiFn {
      let f = cache.get(signature);
      if (!f) {
        f = load().func(signature) as KoffiFn;
        cache.set(signature, f);
      }
      return f;
    },
  };
}

const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;

/** A declared function as koffi returns it: called directly, or through `.async` on koffi's worker thread. */
export interface KoffiFn {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (...args: any[]): any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async: (...args: any[]) => void;
}

export class WinHandle {
  #raw: unknown;
  readonly #close: (raw: unknown) => void;
  constructor(raw: unknown, close: (raw: unknown) => void) {
    this.#raw = raw;
    this.#close = close;
  }
  /** For the ffi layer only: the koffi value to pass as a HANDLE argument. */
  get raw(): unknown {
    if (this.#raw === null) throw new Error('The handle was already closed.');
    return this.#raw;
  }
  /** For the ffi layer only: hands the OS handle to a new owner (a C runtime descriptor, say); this wrapper forgets it without closing it. */
  release(): unknown {
    const raw = this.raw;
    this.#raw = null;
    return raw;
  }
  close(): void {
    if (this.#raw === null) return;
    const raw = this.#raw;
    this.#raw = null;
    this.#close(raw);
  }
}

/** True for NULL and INVALID_HANDLE_VALUE, the two failure values Win32 functions return. */
export function isBadHandle(raw: unknown): boolean {
  if (raw === null || raw === undefined) return true;
  return koffi.address(raw) === INVALID_HANDLE_VALUE || koffi.address(raw) === 0n;
}

/** koffi hands out 64-bit integers as Number or BigInt; the callers want a Number (all values here < 2^53). */
export function toNumber(v: number | bigint): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Win32 error codes used above this folder (winerror.h). */
export const WinError = {
  ACCESS_DENIED: 5,
  INVALID_PARAMETER: 87,
  FILE_EXISTS: 80,
  ALREADY_EXISTS: 183,
  PATH_NOT_FOUND: 3,
  DISK_FULL: 112,
  HANDLE_DISK_FULL: 39,
  NOT_ALL_ASSIGNED: 1300,
  CANCELLED: 1223,
  PARTIAL_COPY: 299,
} as const;

export class Win32Error extends Error {
  constructor(
    readonly fn: string,
    readonly code: number,
  ) {
    super(`${fn} failed with Windows error ${code}.`);
    this.name = 'Win32Error';
  }
}
