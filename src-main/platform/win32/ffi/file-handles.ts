/*
 * Files and folders by handle, for the elevated helper's folder walk and the dump file it creates: NtCreateFile
 * (ntdll) opens a drive root, then one entry at a time relative to the folder handle before it, never following
 * a reparse point; the dump is created relative to the last folder handle; its facts, its bytes and its removal go
 * through the file's own handle (kernel32). So no path is resolved twice, and a swap of a folder or file after
 * it was opened redirects nothing. Callers get WinHandle objects and plain values, never a pointer.
 */
import koffi from 'koffi';
import { wrapHandle } from './kernel32';
import {
  BY_HANDLE_FILE_INFORMATION_BYTES, decodeHandleFileInformation, encodeObjectAttributes, encodeUnicodeString,
  IO_STATUS_BLOCK_BYTES, isSingleEntryName, OBJ_CASE_INSENSITIVE, type HandleFileInformation,
} from './nt-structs';
import { winLibrary, type WinHandle } from './win-types';

const ntdll = winLibrary('ntdll.dll');
const kernel32 = winLibrary('kernel32.dll');

/** NTSTATUS values the callers act on (ntstatus.h). */
export const NtStatus = {
  SUCCESS: 0,
  ACCESS_DENIED: 0xc0000022,
  OBJECT_NAME_INVALID: 0xc0000033,
  OBJECT_NAME_NOT_FOUND: 0xc0000034,
  OBJECT_NAME_COLLISION: 0xc0000035,
  OBJECT_PATH_NOT_FOUND: 0xc000003a,
  DISK_FULL: 0xc000007f,
  FILE_IS_A_DIRECTORY: 0xc00000ba,
  NOT_A_DIRECTORY: 0xc0000103,
} as const;

// Access rights (winnt.h) and NtCreateFile's dispositions and options (winternl.h, wdm.h).
const DELETE = 0x10000;
const READ_CONTROL = 0x20000;
const SYNCHRONIZE = 0x100000;
const FILE_LIST_DIRECTORY = 0x1;
const FILE_READ_ATTRIBUTES = 0x80;
const GENERIC_READ = 0x80000000;
const GENERIC_WRITE = 0x40000000;
const FILE_SHARE_READ = 0x1;
const FILE_SHARE_WRITE = 0x2;
const FILE_SHARE_DELETE = 0x4;
const FILE_ATTRIBUTE_NORMAL = 0x80;
const FILE_OPEN = 1;
const FILE_CREATE = 2;
const FILE_DIRECTORY_FILE = 0x1;
const FILE_SYNCHRONOUS_IO_NONALERT = 0x20;
const FILE_NON_DIRECTORY_FILE = 0x40;
const FILE_OPEN_REPARSE_POINT = 0x200000;

export interface NtOpenResult {
  handle: WinHandle | null;
  /** NTSTATUS as an unsigned number; 0 with a handle. */
  status: number;
}

interface NtCreateArgs {
  root: WinHandle | null;
  name: string;
  access: number;
  fileAttributes: number;
  share: number;
  disposition: number;
  options: number;
  securityDescriptor: unknown;
}

/**
 * NtCreateFile (winternl.h; ntifs.h ZwCreateFile documents RootDirectory-relative names; Windows 2000+). The
 * name buffer, UNICODE_STRING and OBJECT_ATTRIBUTES stay referenced by locals until the call returns.
 */
function ntCreateFile(a: NtCreateArgs): NtOpenResult {
  const f = ntdll.fn(
    'int32_t __stdcall NtCreateFile(_Out_ HANDLE *h, uint32_t access, void *oa, _Out_ void *iosb, void *allocation, ' +
      'uint32_t attributes, uint32_t share, uint32_t disposition, uint32_t options, void *ea, uint32_t eaLength)',
  );
  const nameBytes = Buffer.from(a.name, 'utf16le');
  const unicodeName = encodeUnicodeString(nameBytes.length, koffi.address(nameBytes));
  const attributes = encodeObjectAttributes({
    rootDirectory: a.root ? koffi.address(a.root.raw) : 0n,
    objectName: koffi.address(unicodeName),
    attributes: OBJ_CASE_INSENSITIVE,
    securityDescriptor: a.securityDescriptor ? koffi.address(a.securityDescriptor) : 0n,
  });
  const ioStatus = Buffer.alloc(IO_STATUS_BLOCK_BYTES);
  const out: unknown[] = [null];
  const status = (f(out, a.access >>> 0, attributes, ioStatus, null, a.fileAttributes, a.share, a.disposition, a.options, null, 0) as number) >>> 0;
  const handle = status === 0 ? wrapHandle(out[0]) : null;
  return { handle, status: handle ? 0 : status || NtStatus.OBJECT_NAME_INVALID };
}

/**
 * Opens a folder without following a reparse point: a drive root by its NT path (`\??\C:\`) when `parent` is
 * null, else exactly one entry of `parent`. The handle may list the folder, read its attributes and security
 * descriptor, and create files in it. Folders stay shareable, so the requester can still use their own folder.
 */
export function openFolderNoReparse(parent: WinHandle | null, name: string): NtOpenResult {
  if (parent && !isSingleEntryName(name)) return { handle: null, status: NtStatus.OBJECT_NAME_INVALID };
  return ntCreateFile({
    root: parent,
    name,
    access: SYNCHRONIZE | FILE_LIST_DIRECTORY | READ_CONTROL | FILE_READ_ATTRIBUTES,
    fileAttributes: 0,
    share: FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
    disposition: FILE_OPEN,
    options: FILE_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT,
    securityDescriptor: null,
  });
}

/**
 * Creates a new file named `name` inside the open `folder` (FILE_CREATE: STATUS_OBJECT_NAME_COLLISION if the name
 * is taken, never an existing file or a link's target) with the given security descriptor, for synchronous read,
 * write and delete through the handle. Shared for reading only, so nobody writes the dump beside us.
 */
export function createNewFileIn(folder: WinHandle, name: string, securityDescriptor: unknown): NtOpenResult {
  if (!isSingleEntryName(name)) return { handle: null, status: NtStatus.OBJECT_NAME_INVALID };
  return ntCreateFile({
    root: folder,
    name,
    access: GENERIC_READ | GENERIC_WRITE | DELETE | SYNCHRONIZE,
    fileAttributes: FILE_ATTRIBUTE_NORMAL,
    share: FILE_SHARE_READ,
    disposition: FILE_CREATE,
    options: FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT,
    securityDescriptor,
  });
}

/** GetFileInformationByHandle (fileapi.h, Windows XP+): attributes, volume serial and file index of the object held. */
export function readHandleFileInformation(h: WinHandle): HandleFileInformation | null {
  const info = Buffer.alloc(BY_HANDLE_FILE_INFORMATION_BYTES);
  const ok = kernel32.fn('bool __stdcall GetFileInformationByHandle(HANDLE h, _Out_ void *info)')(h.raw, info) as boolean;
  return ok ? decodeHandleFileInformation(info) : null;
}

/**
 * Marks the file held for deletion when its last handle closes (SetFileInformationByHandle with
 * FileDispositionInfo = 4 and FILE_DISPOSITION_INFO { BOOLEAN DeleteFile }, fileapi.h, Vista+): the partial dump
 * is removed as the object we created, never by a name that may now point elsewhere. Needs DELETE access.
 */
export function markDeleteOnClose(h: WinHandle): boolean {
  const info = Buffer.alloc(4);
  info.writeUInt8(1, 0);
  return kernel32.fn('bool __stdcall SetFileInformationByHandle(HANDLE h, int cls, void *info, uint32_t len)')(h.raw, 4, info, 4) as boolean;
}

/**
 * ReadFile (fileapi.h, Windows XP+) of up to `into.length` bytes at `offset`, on koffi's worker thread. On a
 * synchronous handle an OVERLAPPED (minwinbase.h: Offset u32 @16, OffsetHigh u32 @20; 32 bytes) gives the position
 * and the call still blocks until done. Resolves the byte count, 0 at the end of the file or when the read
 * failed (ERROR_HANDLE_EOF is how a read past the end answers through an OVERLAPPED): the caller knows the size.
 */
export function readFileAtAsync(h: WinHandle, offset: number, into: Buffer): Promise<number> {
  const f = kernel32.fn('bool __stdcall ReadFile(HANDLE h, _Out_ void *buf, uint32_t len, _Out_ uint32_t *read, void *overlapped)');
  const overlapped = Buffer.alloc(32);
  overlapped.writeUInt32LE(offset % 2 ** 32, 16);
  overlapped.writeUInt32LE(Math.floor(offset / 2 ** 32), 20);
  const read = [0];
  return new Promise((resolve, reject) => {
    f.async(h.raw, into, into.length, read, overlapped, (err: unknown, ok: boolean) => {
      void overlapped;
      if (err) reject(err as Error);
      else resolve(ok ? (read[0] ?? 0) : 0);
    });
  });
}

/**
 * WriteFile (fileapi.h, Windows XP+) of all of `bytes` at `offset` on a synchronous handle (OVERLAPPED as in
 * readFileAtAsync for the position), in pieces of at most 1 MiB. False when a write fails or writes nothing.
 */
export function writeFileAtSync(h: WinHandle, offset: number, bytes: Buffer): boolean {
  const f = kernel32.fn('bool __stdcall WriteFile(HANDLE h, const void *buf, uint32_t len, _Out_ uint32_t *written, void *overlapped)');
  for (let done = 0; done < bytes.length; ) {
    const piece = bytes.subarray(done, Math.min(bytes.length, done + 2 ** 20));
    const at = offset + done;
    const overlapped = Buffer.alloc(32);
    overlapped.writeUInt32LE(at % 2 ** 32, 16);
    overlapped.writeUInt32LE(Math.floor(at / 2 ** 32), 20);
    const written = [0];
    if (!(f(h.raw, piece, piece.length, written, overlapped) as boolean) || !written[0]) return false;
    done += written[0];
  }
  return true;
}
