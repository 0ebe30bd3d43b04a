/*
 * koffi declarations for the file calls that Node's fs lacks and a root process needs to touch a user's folder
 * safely: openat and unlinkat (relative to a directory descriptor, so no path is resolved twice) and
 * setfsuid/setfsgid (the rights a file is created with). Loaded lazily in the process that writes the dump. Nothing
 * outside src-main/dump/linux may import this file; opened-folder.ts is its only user.
 */
import koffi, { type LibraryHandle } from 'koffi';

let lib: LibraryHandle | null = null;
function libc(): LibraryHandle {
  lib ??= koffi.load('libc.so.6');
  return lib;
}

// include/uapi/asm-generic/fcntl.h. x86-64 uses the generic values; Node's fs.constants gives the per-architecture
// O_RDONLY/O_RDWR/O_CREAT/O_EXCL/O_DIRECTORY/O_NOFOLLOW, but not these two (identical on x86-64 and arm64).
export const O_CLOEXEC = 0o2000000;
/** Linux 2.6.39: a descriptor that only names the file (fstat works since 3.6); opens nothing for reading. */
export const O_PATH = 0o10000000;

type OpenatFn = (dirfd: number, path: string, flags: number, ...typedArgs: unknown[]) => number;
type UnlinkatFn = (dirfd: number, path: string, flags: number) => number;
type SetfsidFn = (id: number) => number;

let openatFn: OpenatFn | null = null;
let unlinkatFn: UnlinkatFn | null = null;
let setfsuidFn: SetfsidFn | null = null;
let setfsgidFn: SetfsidFn | null = null;

/** A descriptor, or -errno. openat(2): `int openat(int dirfd, const char *pathname, int flags, mode_t mode)` (<fcntl.h>). */
export function openatSync(dirFd: number, name: string, flags: number, mode: number): number {
  // Variadic in glibc (mode is read only with O_CREAT or O_TMPFILE): declared so, with mode_t (unsigned int) passed
  // as a (type, value) pair, so the call follows the variadic ABI exactly.
  openatFn ??= libc().func('int openat(int dirfd, const char *pathname, int flags, ...)') as OpenatFn;
  koffi.errno(0);
  const fd = openatFn(dirFd, name, flags, 'unsigned int', mode);
  return fd < 0 ? -koffi.errno() : fd;
}

/** 0, or -errno. unlinkat(2): `int unlinkat(int dirfd, const char *pathname, int flags)` (<fcntl.h>, <unistd.h>). */
export function unlinkatSync(dirFd: number, name: string): number {
  unlinkatFn ??= libc().func('int unlinkat(int dirfd, const char *pathname, int flags)') as UnlinkatFn;
  koffi.errno(0);
  return unlinkatFn(dirFd, name, 0) < 0 ? -koffi.errno() : 0;
}

/**
 * setfsuid(2) / setfsgid(2) (<sys/fsuid.h>): set the calling THREAD's file-system uid/gid and return the previous
 * one; they never report failure, so a caller checks with an invalid id (-1), which changes nothing and returns the
 * current value. glibc issues the bare syscall without the set*id broadcast to other threads, so only the JS
 * thread that calls it is affected (checked in opened-folder.test.ts).
 */
export function setfsuidSync(uid: number): number {
  setfsuidFn ??= libc().func('int setfsuid(uint32_t fsuid)') as SetfsidFn;
  return setfsuidFn(uid >>> 0);
}

export function setfsgidSync(gid: number): number {
  setfsgidFn ??= libc().func('int setfsgid(uint32_t fsgid)') as SetfsidFn;
  return setfsgidFn(gid >>> 0);
}
