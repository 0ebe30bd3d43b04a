/*
 * koffi declarations for the parts of glibc the Linux backend needs. Loaded once, lazily, in the main process
 * (or CLI / helper). Nothing outside src-main/platform/linux (and the Linux dump writer) may import this file.
 */
import { createRequire } from 'node:module';
import type { LibraryHandle } from 'koffi';

type Koffi = typeof import('koffi');
let koffiModule: Koffi | null = null;
/**
 * koffi itself is required on first use, not imported: loading it (its native module, and the node:util,
 * worker_threads and stream modules its index pulls in) cost ~30 ms of CPU, more than the rest of a
 * `procscope list` start-up, and list, pack or analyze need no native call. import.meta.url is the bundle's own file
 * under CommonJS too (rolldown writes pathToFileURL(__filename)), so koffi resolves as a static import would.
 */
function koffi(): Koffi {
  koffiModule ??= createRequire(import.meta.url)('koffi') as Koffi;
  return koffiModule;
}

let lib: LibraryHandle | null = null;
function libc(): LibraryHandle {
  lib ??= koffi().load('libc.so.6');
  return lib;
}

// <unistd.h> sysconf(3): _SC_CLK_TCK = 2, _SC_PAGESIZE = 30, _SC_NPROCESSORS_ONLN = 84 (glibc bits/confname.h).
// Callers use system-constants.ts, which reads these where glibc does and calls this only when that fails.
export const SC_CLK_TCK = 2;
export const SC_PAGESIZE = 30;
export const SC_NPROCESSORS_ONLN = 84;

let sysconfFn: ((name: number) => number) | null = null;
export function sysconfSync(name: number): number {
  sysconfFn ??= libc().func('long sysconf(int name)') as (name: number) => number;
  return Number(sysconfFn(name));
}

// <pwd.h> getpwuid_r(3): struct passwd as glibc lays it out on x86_64 and aarch64 (pwd/pwd.h).
type GetpwuidR = (uid: number, pwd: Record<string, unknown>, buf: Buffer, len: number, result: unknown[]) => number;
let getpwuidRFn: GetpwuidR | null = null;
let pwBuffer = Buffer.alloc(4096);
const ERANGE = 34;

/**
 * The name of a user id through NSS (files, LDAP, sssd, systemd-homed — whatever nsswitch.conf says), or null when
 * no such user exists. Blocking: NSS may ask a directory server, so callers cache the answer per uid.
 */
export function userNameOfUidSync(uid: number): string | null {
  if (!getpwuidRFn) {
    // Registers the type name 'passwd' that the prototype below refers to.
    koffi().struct('passwd', {
      pw_name: 'char *',
      pw_passwd: 'char *',
      pw_uid: 'uint32_t',
      pw_gid: 'uint32_t',
      pw_gecos: 'char *',
      pw_dir: 'char *',
      pw_shell: 'char *',
    });
    getpwuidRFn = libc().func('int getpwuid_r(uint32_t uid, _Out_ passwd *pwd, uint8_t *buf, size_t buflen, _Out_ passwd **result)') as GetpwuidR;
  }
  for (;;) {
    const pwd: Record<string, unknown> = {};
    const result: unknown[] = [null];
    const rc = getpwuidRFn!(uid, pwd, pwBuffer, pwBuffer.length, result);
    if (rc === ERANGE && pwBuffer.length < 1 << 20) {
      pwBuffer = Buffer.alloc(pwBuffer.length * 4);
      continue;
    }
    if (rc !== 0 || result[0] === null || typeof pwd.pw_name !== 'string') return null;
    return pwd.pw_name;
  }
}

// pidfd_open(2) and pidfd_send_signal(2), Linux 5.3 / 5.1. Both numbers are the same on every architecture (they
// were allocated after the syscall tables were unified: include/uapi/asm-generic/unistd.h). glibc's syscall(2) is
// variadic, so arguments go as (type, value) pairs.
const SYS_PIDFD_SEND_SIGNAL = 424;
const SYS_PIDFD_OPEN = 434;
let syscallFn: ((...args: unknown[]) => number | bigint) | null = null;
function syscall(...args: unknown[]): number {
  syscallFn ??= libc().func('long syscall(long number, ...)') as (...args: unknown[]) => number | bigint;
  return Number(syscallFn(...args));
}

/** A pidfd for pid (close it with fs.closeSync), or a negative errno (ESRCH = 3, ENOSYS = 38, EPERM = 1). */
export function pidfdOpenSync(pid: number): number {
  const fd = syscall(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0);
  return fd < 0 ? -koffi().errno() : fd;
}

/** 0, or a negative errno. A pidfd names one process for good, so a recycled pid can never receive the signal. */
export function pidfdSendSignalSync(pidfd: number, signal: number): number {
  const rc = syscall(SYS_PIDFD_SEND_SIGNAL, 'int', pidfd, 'int', signal, 'void *', null, 'unsigned int', 0);
  return rc < 0 ? -koffi().errno() : 0;
}

// <unistd.h> pread(2). The poll loop re-reads every kept /proc/PID/stat descriptor through this: a direct call
// costs about half of fs.readSync's argument checks and error-object plumbing, ~2,000 times a second.
type Pread = (fd: number, buf: Buffer, count: number, offset: number) => number | bigint;
let preadFn: Pread | null = null;

/** Bytes read into buf from offset 0, or a negative errno (ESRCH = 3 once a /proc/PID descriptor's process is gone). */
export function preadSync(fd: number, buf: Buffer, count: number): number {
  preadFn ??= libc().func('long pread(int fd, void *buf, size_t count, long offset)') as Pread;
  const n = Number(preadFn(fd, buf, count, 0));
  return n < 0 ? -koffi().errno() : n;
}
