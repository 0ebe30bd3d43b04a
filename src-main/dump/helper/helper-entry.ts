/*
 * The elevated helper's entry: its job's argv plus the real OS (start-time reader, platform dump writer, uid,
 * Windows requester facts) turned into one runHelper() call. Both ways the helper starts come here: the CLI's
 * `procscope helper …` (pkexec and runas start the built CLI that way) and the Electron binary started with
 * --procscope-helper. It lives beside the helper so that neither the Electron main nor a test imports the CLI.
 */
import { createPlatformDumpWriter } from '../select-writer';
import { createStartTimeReader } from './helper-identity';
import { runHelper } from './helper-main';

/** Resolves to the helper's exit code (see runHelper); every refusal is one line on stderr or over the channel. */
export async function runHelperEntry(args: readonly string[], stderr: (text: string) => void): Promise<number> {
  // Started through runas (or pkexec) the helper may have no usable console: a write to a stderr that is not there
  // fails later, as an 'error' event, and one that nobody hears ends the process at once — before its refusal had
  // left over the channel, so the app saw only "stopped without reporting a result". The channel is what counts.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const readStartTimeMs = await createStartTimeReader();
  // Read at start-up, while the process that started us is surely still there.
  const win32 = process.platform === 'win32' ? (await import('../win32/helper-requester')).readWin32HelperFacts() : undefined;
  return runHelper(args, {
    ...(win32 ? { win32 } : {}),
    createWriter: () => createPlatformDumpWriter(),
    readStartTimeMs,
    platform: process.platform,
    env: process.env,
    stderr,
    ownUid: typeof process.getuid === 'function' ? process.getuid() : null,
  });
}
