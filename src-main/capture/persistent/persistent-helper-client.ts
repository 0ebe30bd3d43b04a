/*
 * The unelevated side of a persist job (CLI or app): opens a one-time helper channel, starts the elevated helper
 * with a `--job=persist` command line through an Elevator (UAC "runas" on Windows), and resolves the helper's one
 * `persist` report, or rejects with its refusal as a DumpError. Every other message is a helper not doing its job.
 * It sends the helper nothing but the job; the helper checks everything again.
 */
import { toDumpErrorInfo } from '../../dump/dump-errors';
import { DumpError } from '../../dump/dump-writer';
import type { Elevator } from '../../dump/helper/elevator';
import { openHelperChannel, type ProvenHelperMessage } from '../../dump/helper/helper-channel';
import type { HelperCommand } from '../../dump/helper/helper-dump-writer';
import { helperPersistJobToArgs } from '../../dump/helper/helper-persist-args';
import { dispatch, type Handlers } from '../../dump/helper/helper-protocol';
import { settleOnce } from '../../dump/helper/settle-once';
import type { PersistAction, PersistReport } from './persistent-apply';

export interface PersistHelperOptions {
  elevator: Elevator;
  command: HelperCommand;
  platform?: NodeJS.Platform;
}

/** After the helper exits, how long its last message may still take to arrive. */
const EXIT_GRACE_MS = 1000;

export async function runPersistThroughHelper(action: PersistAction, options: PersistHelperOptions): Promise<PersistReport> {
  const outcome = settleOnce<PersistReport, DumpError>();
  const { resolve, reject } = outcome;
  const wrongJob = (what: string) => (): void => reject(new DumpError('bad-request', `The helper sent ${what} during a persist job, so nothing it did was accepted. Try again.`));
  const handlers: Handlers<ProvenHelperMessage> = {
    persist: (m) => resolve(m.report),
    error: (m) => reject(new DumpError(m.error.code, m.error.message)),
    progress: wrongJob("a dump's progress"),
    result: wrongJob("a dump's result"),
    saved: wrongJob("a dump's result"),
    capture: wrongJob('a capture event'),
  };
  const channel = await openHelperChannel(
    { onMessage: (m) => dispatch(handlers, m), onFailure: (e) => reject(new DumpError(e.code, e.message)), onClose: () => {} },
    options.platform,
  );
  try {
    const args = [...options.command.args, ...helperPersistJobToArgs({ persist: action, channel: channel.address, secret: channel.secret })];
    options.elevator.run(options.command.executable, args).then(
      (code) => {
        setTimeout(() => reject(new DumpError('io-error', `The helper stopped (exit code ${code}) without reporting a result; check with \`procscope persist list\`.`)), EXIT_GRACE_MS).unref();
      },
      (err: unknown) => {
        const info = toDumpErrorInfo(err);
        reject(new DumpError(info.code, info.message));
      },
    );
    return await outcome.promise;
  } finally {
    await channel.close();
  }
}
