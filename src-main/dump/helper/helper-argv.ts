/*
 * The whole command line of the Electron binary started as the elevated helper, checked before anything else
 * runs in its main process. pkexec and UAC approve the binary, not its arguments, so the approved process must
 * refuse every switch the app itself does not pass: Chromium and Node act on switches anywhere in argv
 * (--remote-debugging-port, --renderer-cmd-prefix, --js-flags, --inspect-brk), and one of them would turn one
 * approved dump into arbitrary code as root. Pure: the caller prints the refusal and exits.
 */
import { splitHelperArg } from './helper-args';

/** The switch that makes the Electron binary the helper (defaultHelperCommand passes it). */
export const HELPER_FLAG = '--procscope-helper';

/**
 * The switches the app passes before the job, and nothing else is allowed there. On Linux Electron aborts before
 * any JS runs when started as root without --no-sandbox (electron_main_delegate.cc, crbug.com/638180); the helper
 * never opens a renderer, so no sandbox is lost.
 */
export function helperLaunchSwitches(platform: NodeJS.Platform): readonly string[] {
  return platform === 'linux' ? ['--no-sandbox', HELPER_FLAG] : [HELPER_FLAG];
}

/**
 * True when the process was started to be the helper, or looks like it: the flag in any spelling Chromium would
 * accept as that switch (it also reads `-x` and, on Windows, `/x`, case-insensitively there), or pkexec's marker
 * in the environment. Such a launch must pass checkHelperArgv or stop: it must never fall through to the app.
 */
export function isHelperLaunch(argv: readonly string[], env: NodeJS.ProcessEnv = {}): boolean {
  if (env.PKEXEC_UID !== undefined) return true;
  return argv.slice(1).some((arg) => {
    const name = /^(?:--?|\/)([^=]*)/.exec(arg)?.[1];
    return name !== undefined && name.toLowerCase() === HELPER_FLAG.slice(2);
  });
}

export type HelperArgvCheck = { ok: true; jobArgs: string[] } | { ok: false; error: string };

/**
 * Accepts exactly [execPath, ...helperLaunchSwitches(platform), ...job] where every job element is one of the
 * helper's own `--flag=value` arguments, each flag at most once. The job's values are checked afterwards by
 * parseHelperArgs, which can then report a bad value to the app over the channel.
 */
export function checkHelperArgv(argv: readonly string[], platform: NodeJS.Platform): HelperArgvCheck {
  const refuse = (why: string): HelperArgvCheck => ({
    ok: false,
    error: `refused to start: ${why} The helper accepts only the arguments Procscope itself passes, so nothing was done.`,
  });
  if (argv.length === 0 || argv[0] === '') return refuse('its command line is empty.');
  const expected = helperLaunchSwitches(platform);
  for (const [i, want] of expected.entries()) {
    const got = argv[1 + i];
    if (got !== want) {
      return refuse(`argument ${1 + i} is ${got === undefined ? 'missing' : `'${printable(got)}'`} where '${want}' must stand.`);
    }
  }
  const jobArgs = argv.slice(1 + expected.length);
  const seen = new Set<string>();
  for (const arg of jobArgs) {
    const split = splitHelperArg(arg);
    if (typeof split === 'string') return refuse(`'${printable(arg)}' is not one of its job arguments (${split})`);
    if (seen.has(split.flag)) return refuse(`${split.flag} is given twice.`);
    seen.add(split.flag);
  }
  return { ok: true, jobArgs };
}

/** A refused argument as it may be echoed: at most 60 characters, control characters as '?'. */
function printable(arg: string): string {
  // eslint-disable-next-line no-control-regex
  return arg.slice(0, 60).replace(/[\u0000-\u001f\u007f]/g, '?');
}
