/*
 * koffi declarations for the libc calls the Linux core writer needs: ptrace, waitpid, process_vm_readv and the
 * pagemap ioctl. Loaded
 * lazily in whichever Node process writes the dump (main, CLI or helper). ptrace requests must be issued from the
 * thread that attached (the kernel checks the tracer task), so callers keep every ptrace call on one thread and
 * never use koffi's .async variants for it. Nothing outside src-main/dump/linux and the capture tracer
 * (src-main/capture/linux, which follows forks with the same calls) may import this file.
 */
import koffi, { type LibraryHandle } from 'koffi';

let lib: LibraryHandle | null = null;
function libc(): LibraryHandle {
  lib ??= koffi.load('libc.so.6');
  return lib;
}

// <sys/ptrace.h>, linux/ptrace.h (uapi): request numbers.
export const PTRACE_DETACH = 17;
export const PTRACE_GETSIGINFO = 0x4202;
export const PTRACE_GETREGSET = 0x4204;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
/** status >> 16 of a stop caused by PTRACE_INTERRUPT or a group-stop under PTRACE_SEIZE (linux/ptrace.h). */
export const PTRACE_EVENT_STOP = 128;
// Used by the capture tracer: resume, resume from a group-stop without ending it, read an event's message.
export const PTRACE_CONT = 7;
export const PTRACE_GETEVENTMSG = 0x4201;
export const PTRACE_LISTEN = 0x4208;
// PTRACE_SEIZE options (the data argument) and the events they report as status >> 16 (linux/ptrace.h).
export const PTRACE_O_TRACEFORK = 0x2;
export const PTRACE_O_TRACEVFORK = 0x4;
export const PTRACE_O_TRACECLONE = 0x8;
export const PTRACE_O_TRACEEXEC = 0x10;
export const PTRACE_O_TRACEEXIT = 0x40;
export const PTRACE_EVENT_FORK = 1;
export const PTRACE_EVENT_VFORK = 2;
export const PTRACE_EVENT_CLONE = 3;
export const PTRACE_EVENT_EXEC = 4;
export const PTRACE_EVENT_EXIT = 6;

// linux/elf.h (uapi): regset note types, used both for PTRACE_GETREGSET and as ELF note types.
export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_X86_XSTATE = 0x202;

// <sys/wait.h>, linux/wait.h: wait for clones (threads) as well as children.
export const WNOHANG = 1;
export const WALL = 0x40000000;

// asm-generic/errno-base.h
export const EPERM = 1;
export const ESRCH = 3;
export const EINTR = 4;
export const ECHILD = 10;
export const EFAULT = 14;
export const EINVAL = 22;
export const ENOTTY = 25;

type PtraceFn = (request: number, ...args: unknown[]) => number | bigint;
type WaitpidFn = (pid: number, status: Int32Array, options: number) => number;
type ProcessVmReadvFn = (
  pid: number,
  localIov: Buffer,
  localCount: number,
  remoteIov: Buffer,
  remoteCount: number,
  flags: number,
) => number | bigint;

type IoctlFn = (fd: number, request: number, arg: Buffer) => number;

let ptraceFn: PtraceFn | null = null;
let ioctlFn: IoctlFn | null = null;
let waitpidFn: WaitpidFn | null = null;
let readvFn: ProcessVmReadvFn | null = null;

export interface SyscallResult {
  value: number;
  errno: number;
}

/**
 * ptrace(2): glibc declares `long ptrace(enum __ptrace_request request, ...)` and reads pid, addr, data as
 * pid_t, void*, void*. addr and data are passed as pointer-sized integers (a Buffer address or a plain value).
 */
export function ptraceSync(request: number, tid: number, addr: bigint, data: bigint): SyscallResult {
  ptraceFn ??= libc().func('long ptrace(int request, ...)') as PtraceFn;
  koffi.errno(0);
  const value = Number(ptraceFn(request, 'int', tid, 'uintptr_t', addr, 'uintptr_t', data));
  return { value, errno: value === -1 ? koffi.errno() : 0 };
}

/** waitpid(2): `pid_t waitpid(pid_t pid, int *wstatus, int options)`; status lands in status[0]. */
export function waitpidSync(pid: number, status: Int32Array, options: number): SyscallResult {
  waitpidFn ??= libc().func('int waitpid(int pid, _Out_ int *status, int options)') as WaitpidFn;
  koffi.errno(0);
  const value = waitpidFn(pid, status, options);
  return { value, errno: value === -1 ? koffi.errno() : 0 };
}

/**
 * process_vm_readv(2): `ssize_t process_vm_readv(pid_t, const struct iovec *local, unsigned long liovcnt,
 * const struct iovec *remote, unsigned long riovcnt, unsigned long flags)`. Both iovec arrays are raw buffers of
 * {u64 base, u64 len} (struct iovec, <bits/types/struct_iovec.h>); at most IOV_MAX (1024) entries each. Returns a
 * short count at the first remote page that cannot be read.
 */
export function processVmReadvSync(
  pid: number,
  localIov: Buffer,
  localCount: number,
  remoteIov: Buffer,
  remoteCount: number,
): SyscallResult {
  readvFn ??= libc().func(
    'long process_vm_readv(int pid, void *local, unsigned long liovcnt, void *remote, unsigned long riovcnt, unsigned long flags)',
  ) as ProcessVmReadvFn;
  koffi.errno(0);
  const value = Number(readvFn(pid, localIov, localCount, remoteIov, remoteCount, 0));
  return { value, errno: value === -1 ? koffi.errno() : 0 };
}

/** The address of a Buffer's memory (it must stay referenced while the kernel uses the address). */
export function bufferAddress(buffer: Buffer): bigint {
  return koffi.address(buffer);
}

/**
 * PAGEMAP_SCAN (Linux 6.7+; include/uapi/linux/fs.h, man PAGEMAP_SCAN(2const)): `_IOWR('f', 16, struct
 * pm_scan_arg)` on a /proc/PID/pagemap descriptor. pm_scan_arg is 12 u64s: size, flags, start, end, walk_end, vec,
 * vec_len, max_pages, category_inverted, category_mask, category_anyof_mask, return_mask; vec points at
 * struct page_region {u64 start, end, categories}. Returns the number of regions filled in.
 */
export const PAGEMAP_SCAN = 0xc0606610;
export const PM_SCAN_ARG_BYTES = 96;
export const PAGE_REGION_BYTES = 24;
export const PAGE_IS_PRESENT = 1 << 3;
export const PAGE_IS_SWAPPED = 1 << 4;
/** The page is the shared zero page (a read of untouched anonymous memory maps it: gcore's, a debugger's). */
export const PAGE_IS_PFNZERO = 1 << 5;

/** ioctl(2) with a pointer argument: `int ioctl(int fd, unsigned long request, ...)`. */
export function ioctlSync(fd: number, request: number, arg: Buffer): SyscallResult {
  ioctlFn ??= libc().func('int ioctl(int fd, unsigned long request, void *arg)') as IoctlFn;
  koffi.errno(0);
  const value = ioctlFn(fd, request, arg);
  return { value, errno: value === -1 ? koffi.errno() : 0 };
}

// <sys/wait.h>, linux/wait.h: waitid(2)'s idtype and the options the capture tracer's probe uses.
export const P_ALL = 0;
export const WSTOPPED = 2;
export const WEXITED = 4;
export const WNOWAIT = 0x01000000;
/** sizeof(siginfo_t) on Linux, and si_pid's offset in it on 64-bit targets (after si_signo, si_errno, si_code, padding). */
export const SIGINFO_BYTES = 128;
export const SIGINFO_PID_OFFSET = 16;

type WaitidFn = (idtype: number, id: number, info: Buffer, options: number) => number;
let waitidFn: WaitidFn | null = null;

/** waitid(2): `int waitid(idtype_t idtype, id_t id, siginfo_t *infop, int options)`; the report lands in `info`. */
export function waitidSync(idtype: number, id: number, info: Buffer, options: number): SyscallResult {
  waitidFn ??= libc().func('int waitid(int idtype, uint32_t id, void *info, int options)') as WaitidFn;
  koffi.errno(0);
  const value = waitidFn(idtype, id, info, options);
  return { value, errno: value === -1 ? koffi.errno() : 0 };
}
