/*
 * The command line of the helper's persistent-capture job (`--job=persist`, issue 12): add, remove or list the
 * Windows registry keys that make Windows itself dump a named image at a crash or an exit. Written by the app
 * (helperPersistJobToArgs) and read back by the elevated helper (parseHelperPersistArgs) with the distrust of
 * helper-args.ts: each `--flag=value` one element, once, of a known flag, each value checked for shape, and the
 * image and folder checked again by the same rules the planner applies. Pure: the folder's existence, owner and
 * links are checked on the OS by the helper (helper-persist-job.ts) after its channel is proven.
 */
import { checkFolderText, checkImageName, type PersistentKind, type PersistentTrigger } from '../../capture/persistent/persistent-plan';
import type { PersistAction } from '../../capture/persistent/persistent-apply';
import { checkChannel, checkOutDir, replyAddress, type ParsedHelperArgs } from './helper-args';

export interface HelperPersistJob {
  persist: PersistAction;
  channel: string;
  secret: string;
}

export type ParsedHelperPersistArgs = { ok: true; job: HelperPersistJob } | Extract<ParsedHelperArgs, { ok: false }>;

const FLAGS = ['--job', '--action', '--image', '--triggers', '--kind', '--out-dir', '--channel', '--secret'] as const;
type Flag = (typeof FLAGS)[number];
/** Which flags each action takes besides --job, --action, --channel and --secret: no more, no fewer. */
const ACTION_FLAGS: Record<PersistAction['action'], readonly Flag[]> = {
  add: ['--image', '--triggers', '--kind', '--out-dir'],
  remove: ['--image'],
  list: [],
};

/** True when the arguments ask for a persist job (a second `--job` is refused by the parser). */
export function isHelperPersistJob(args: readonly string[]): boolean {
  return args.some((a) => a === '--job=persist');
}

export function helperPersistJobToArgs(job: HelperPersistJob): string[] {
  const p = job.persist;
  const args = ['--job=persist', `--action=${p.action}`];
  if (p.action === 'add') {
    const r = p.request;
    args.push(`--image=${r.image}`, `--triggers=${r.triggers.join(',')}`, `--kind=${r.kind}`, `--out-dir=${r.folder}`);
  } else if (p.action === 'remove') {
    args.push(`--image=${p.image}`);
  }
  args.push(`--channel=${job.channel}`, `--secret=${job.secret}`);
  return args;
}

export function parseHelperPersistArgs(args: readonly string[], platform: NodeJS.Platform = process.platform): ParsedHelperPersistArgs {
  const parsed = parsePersistJob(args, platform);
  if (typeof parsed !== 'string') return { ok: true, job: parsed };
  return { ok: false, error: parsed, replyTo: replyAddress(args, platform) };
}

function parsePersistJob(args: readonly string[], platform: NodeJS.Platform): HelperPersistJob | string {
  const values = new Map<Flag, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const flag = (eq < 0 ? arg : arg.slice(0, eq)) as Flag;
    if (!FLAGS.includes(flag)) return `${flag.slice(0, 40)} does not belong to a persist job.`;
    if (eq < 0) return `${flag} needs a value, as ${flag}=VALUE.`;
    const value = arg.slice(eq + 1);
    if (value.includes('\0')) return `${flag} contains a NUL character.`;
    if (values.has(flag)) return `${flag} is given twice.`;
    values.set(flag, value);
  }
  if (values.get('--job') !== 'persist') return '--job must be persist.';
  // Checked before anything else is believed: a persist job is only ever Windows registry work.
  if (platform !== 'win32') {
    return 'Persistent capture is Windows only: on Linux the system keeps its own crash dumps (systemd-coredump or kernel.core_pattern), and ProcDump for Linux has no equivalent of Silent Process Exit.';
  }
  const action = values.get('--action') as PersistAction['action'] | undefined;
  if (action === undefined) return '--action is missing.';
  if (!(action in ACTION_FLAGS)) return `--action must be add, remove or list, not '${action.slice(0, 20)}'.`;
  for (const flag of ACTION_FLAGS[action]) if (!values.has(flag)) return `${flag} is missing.`;
  for (const flag of values.keys()) {
    if (!['--job', '--action', '--channel', '--secret', ...ACTION_FLAGS[action]].includes(flag)) return `${flag} does not belong to a persist ${action}.`;
  }
  const channel = values.get('--channel');
  if (channel === undefined) return '--channel is missing.';
  const channelError = checkChannel(channel, platform);
  if (channelError) return channelError;
  const secret = values.get('--secret');
  if (secret === undefined || !/^[0-9a-f]{64}$/.test(secret)) return '--secret must be 64 lowercase hex digits.';
  if (action === 'list') return { persist: { action }, channel, secret };
  const image = values.get('--image')!;
  const imageError = checkImageName(image);
  // Removal accepts a refused name (there is nothing of ours to find under it) but never a path.
  if (imageError && (action === 'add' || !imageError.startsWith('Refused:'))) return imageError;
  if (action === 'remove') return { persist: { action, image }, channel, secret };
  const triggers = values.get('--triggers')!.split(',') as PersistentTrigger[];
  if (triggers.some((t) => t !== 'crash' && t !== 'exit')) return '--triggers must be crash, exit or crash,exit.';
  if (new Set(triggers).size !== triggers.length) return '--triggers names a trigger twice.';
  const kindText = values.get('--kind')!;
  if (kindText !== 'full' && kindText !== 'mini') return `--kind must be 'full' or 'mini', not '${kindText.slice(0, 20)}'.`;
  const kind: PersistentKind = kindText;
  const folder = values.get('--out-dir')!;
  const folderError = checkOutDir(folder, platform) ?? checkFolderText(folder);
  if (folderError) return folderError;
  return { persist: { action, request: { image, triggers, kind, folder } }, channel, secret };
}
