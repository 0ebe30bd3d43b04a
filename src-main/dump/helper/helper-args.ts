/*
 * The helper's command line: the one job it may do, written by the app (helperJobToArgs) and read back by the
 * helper (parseHelperArgs). The helper runs elevated and anyone can start it, so parsing trusts nothing: every
 * flag exactly once, each value checked for shape, anything unknown refused with a sentence. Each argument is one
 * `--flag=value` element, never a flag and a separate value: in the Electron build Chromium and Node read every
 * argv element that starts with a dash as their own switch, so a value such as a process named
 * `--remote-debugging-port=9222` must never stand alone. Checks that need the OS live in helper-validate.ts.
 */
import { isAbsolute as isAbsolutePosix } from 'node:path/posix';
import { isAbsolute as isAbsoluteWin32 } from 'node:path/win32';
import { DUMP_STAMP_PATTERN, type DumpKind } from '../../../src-shared/model/dump';

export interface HelperJob {
  pid: number;
  startTimeMs: number;
  kind: DumpKind;
  /** Absolute folder the dump is created in; the writer names the file. */
  outDir: string;
  /** The requesting user's uid: the folder must belong to it. Null on Windows (no uids). */
  uid: number | null;
  /** Process name for the file name, as the app showed it. */
  nameHint: string | null;
  /** The file name's time as the app's dialog showed it (yyyyMMdd_HHmmss, digits only); the helper's clock without. */
  stamp?: string;
  /** Linux: a snapshot dump (DumpRequest.snapshot); `--snapshot=1`, absent = live. */
  snapshot?: boolean;
  /** Socket path (Linux) or pipe name (Windows) of the app's channel. */
  channel: string;
  secret: string;
}

/** On failure, `replyTo` is set when the channel and secret themselves were valid, so the refusal can be reported there. */
export type ParsedHelperArgs =
  | { ok: true; job: HelperJob }
  | { ok: false; error: string; replyTo: { channel: string; secret: string } | null };

const FLAGS = ['--pid', '--start-time-ms', '--kind', '--out-dir', '--uid', '--name', '--stamp', '--snapshot', '--channel', '--secret'] as const;
/** A watch job's own flags (helper-watch-args.ts), one per CaptureRule field the dump flags do not carry. */
export const WATCH_FLAGS = [
  '--scope', '--name-glob', '--cmdline-regex', '--triggers', '--exit-nonzero-only', '--hold-timeout-ms', '--max-dumps', '--timeout-ms',
  '--monitor', '--exec-paths',
] as const;
/** A persist job's own flags (helper-persist-args.ts); it also takes --triggers, --kind and --out-dir. */
export const PERSIST_FLAGS = ['--action', '--image'] as const;
/** `--job=watch` makes the helper serve one capture watch; absent (or `--job=dump`) it does one dump, as before. */
const ALL_FLAGS = [...FLAGS, ...WATCH_FLAGS, ...PERSIST_FLAGS, '--job'] as const;
export type HelperFlag = (typeof ALL_FLAGS)[number];
type Flag = HelperFlag;
const OPTIONAL: readonly Flag[] = ['--name', '--stamp', '--uid', '--snapshot'];

export function helperJobToArgs(job: HelperJob): string[] {
  const args = [`--pid=${job.pid}`, `--start-time-ms=${job.startTimeMs}`, `--kind=${job.kind}`, `--out-dir=${job.outDir}`];
  if (job.uid !== null) args.push(`--uid=${job.uid}`);
  if (job.nameHint !== null) args.push(`--name=${job.nameHint}`);
  if (job.stamp !== undefined) args.push(`--stamp=${job.stamp}`);
  if (job.snapshot === true) args.push('--snapshot=1');
  args.push(`--channel=${job.channel}`, `--secret=${job.secret}`);
  return args;
}

/** One `--flag=value` element split into its known flag and value, or the sentence saying what is wrong with it. */
export function splitHelperArg(arg: string): { flag: HelperFlag; value: string } | string {
  const eq = arg.indexOf('=');
  const flag = eq < 0 ? arg : arg.slice(0, eq);
  if (!(ALL_FLAGS as readonly string[]).includes(flag)) return `Unknown argument '${flag.slice(0, 40)}'.`;
  if (eq < 0) return `${flag} needs a value, as ${flag}=VALUE.`;
  const value = arg.slice(eq + 1);
  if (value.includes('\0')) return `${flag} contains a NUL character.`;
  return { flag: flag as HelperFlag, value };
}

/**
 * Every `--flag=value` of a job's arguments by flag, or the first thing wrong as a sentence: a malformed or unknown
 * element, a flag given twice, or one `refuse` names as not belonging to this kind of job.
 */
export function collectHelperArgs(args: readonly string[], refuse: (flag: HelperFlag) => string | null = () => null): Map<HelperFlag, string> | string {
  const values = new Map<HelperFlag, string>();
  for (const arg of args) {
    const split = splitHelperArg(arg);
    if (typeof split === 'string') return split;
    if (values.has(split.flag)) return `${split.flag} is given twice.`;
    const refused = refuse(split.flag);
    if (refused !== null) return refused;
    values.set(split.flag, split.value);
  }
  return values;
}

export function parseInteger(flag: string, text: string, min: number, max: number): number | string {
  if (!/^\d{1,16}$/.test(text)) return `${flag} must be a whole number, not '${text.slice(0, 40)}'.`;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) return `${flag} must be between ${min} and ${max}, not ${text}.`;
  return n;
}

export function checkChannel(channel: string, platform: NodeJS.Platform): string | null {
  if (platform === 'win32') {
    return /^\\\\\.\\pipe\\procscope-helper-[0-9a-f]{32}$/.test(channel) ? null : '--channel must be a Procscope helper pipe name.';
  }
  // sockaddr_un.sun_path holds 108 bytes including the NUL (unix(7)).
  if (!isAbsolutePosix(channel) || Buffer.byteLength(channel) > 107 || !channel.endsWith('/channel.sock')) {
    return '--channel must be the absolute path of a Procscope helper socket.';
  }
  return null;
}

export function parseHelperArgs(args: readonly string[], platform: NodeJS.Platform = process.platform): ParsedHelperArgs {
  const parsed = parseJob(args, platform);
  if (typeof parsed !== 'string') return { ok: true, job: parsed };
  return { ok: false, error: parsed, replyTo: replyAddress(args, platform) };
}

export function replyAddress(args: readonly string[], platform: NodeJS.Platform): { channel: string; secret: string } | null {
  const at = (flag: string): string | undefined => {
    // Only a flag that appears once counts.
    const found = args.filter((a) => a.startsWith(`${flag}=`));
    return found.length === 1 ? found[0]!.slice(flag.length + 1) : undefined;
  };
  const channel = at('--channel');
  const secret = at('--secret');
  if (channel === undefined || secret === undefined || checkChannel(channel, platform) || !/^[0-9a-f]{64}$/.test(secret)) return null;
  return { channel, secret };
}

export function checkOutDir(outDir: string, platform: NodeJS.Platform): string | null {
  // On Windows only a drive path (C:\...): no UNC share, no device path, no drive-relative '\\dir'.
  const absolute = platform === 'win32' ? /^[A-Za-z]:\\/.test(outDir) && isAbsoluteWin32(outDir) : isAbsolutePosix(outDir);
  if (!absolute) return `--out-dir must be an absolute folder path, not '${outDir.slice(0, 200)}'.`;
  if (outDir.length > 4000) return '--out-dir is too long.';
  return null;
}

/** The job, or the first thing wrong with the arguments as a sentence. */
function parseJob(args: readonly string[], platform: NodeJS.Platform): HelperJob | string {
  const values = collectHelperArgs(args);
  if (typeof values === 'string') return values;
  const jobKind = values.get('--job') ?? 'dump';
  if (jobKind !== 'dump') return `--job must be 'dump' or 'watch', not '${jobKind.slice(0, 20)}'.`;
  const watchFlag = WATCH_FLAGS.find((flag) => values.has(flag));
  if (watchFlag) return `${watchFlag} belongs to a watch job (--job=watch), not to a dump.`;
  const persistFlag = PERSIST_FLAGS.find((flag) => values.has(flag));
  if (persistFlag) return `${persistFlag} belongs to a persist job (--job=persist), not to a dump.`;
  for (const flag of FLAGS) {
    if (!values.has(flag) && !OPTIONAL.includes(flag)) return `${flag} is missing.`;
  }
  if (platform !== 'win32' && !values.has('--uid')) return '--uid is missing.';

  // pid 0 is the kernel's idle task (Linux) or the System Idle Process (Windows): never a dump target.
  const pid = parseInteger('--pid', values.get('--pid')!, 1, 0xffffffff);
  if (typeof pid === 'string') return pid;
  const startTimeMs = parseInteger('--start-time-ms', values.get('--start-time-ms')!, 1, Number.MAX_SAFE_INTEGER);
  if (typeof startTimeMs === 'string') return startTimeMs;
  const kind = values.get('--kind')!;
  if (kind !== 'full' && kind !== 'mini') return `--kind must be 'full' or 'mini', not '${kind.slice(0, 20)}'.`;
  let uid: number | null = null;
  if (values.has('--uid')) {
    const parsed = parseInteger('--uid', values.get('--uid')!, 0, 0xfffffffe);
    if (typeof parsed === 'string') return parsed;
    uid = parsed;
  }
  const outDir = values.get('--out-dir')!;
  const outDirError = checkOutDir(outDir, platform);
  if (outDirError) return outDirError;
  const nameHint = values.get('--name') ?? null;
  if (nameHint !== null && (nameHint.length === 0 || nameHint.length > 255)) {
    return '--name must be 1 to 255 characters.';
  }
  // Only digits and one underscore: it becomes part of a file name, so nothing in it may name a path.
  const stamp = values.get('--stamp');
  if (stamp !== undefined && !DUMP_STAMP_PATTERN.test(stamp)) return '--stamp must be yyyyMMdd_HHmmss.';
  const snapshot = values.get('--snapshot');
  if (snapshot !== undefined && snapshot !== '1') return '--snapshot must be 1.';
  const channel = values.get('--channel')!;
  const channelError = checkChannel(channel, platform);
  if (channelError) return channelError;
  const secret = values.get('--secret')!;
  if (!/^[0-9a-f]{64}$/.test(secret)) return '--secret must be 64 lowercase hex digits.';
  return { pid, startTimeMs, kind, outDir, uid, nameHint, ...(stamp !== undefined ? { stamp } : {}), ...(snapshot === '1' ? { snapshot: true } : {}), channel, secret };
}
