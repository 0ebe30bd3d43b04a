/*
 * `procscope serve [--port N]`: the browser host. Reads processes with the platform backend (or the scripted fake
 * with --fake N, for demos and bench:ui), serves the built renderer on 127.0.0.1 and prints the tokenised URL to
 * open, locally or through an SSH tunnel. Runs until SIGINT/SIGTERM; never binds another interface.
 */
import { join } from 'node:path';
import { CliUsageError, type CliCommand } from '../cli-command';
import { createWorkerAnalysisRunner } from '../../host/analysis-runner';
import { createAppServices } from '../../host/app-services';
import { createServeCaptureEngines, createServeDumpEngineFactory, serveConfigDir } from '../../host/web/web-dump-config';
import { startWebHost } from '../../host/web/web-host';
import { createFakeBackend } from '../../platform/fake/fake-backend';
import { createPlatformBackend } from '../../platform/select-backend';
import { createPoller } from '../../poller/poller';
import { REFRESH_INTERVALS_MS } from '../../../src-shared/model/process';
import packageJson from '../../../package.json';

const USAGE = `Usage: procscope serve [--port N] [--interval MS] [--fake N [--fake-churn PCT]]

Serves the Procscope window to a browser on 127.0.0.1 only and prints a URL with a one-time token.
  --port N       TCP port, 0 = any free port (default 0)
  --interval MS  refresh interval: ${REFRESH_INTERVALS_MS.join(', ')} (default 1000)
  --fake N       show a scripted fake machine with N processes instead of this one (demos, benchmarks)
  --fake-churn PCT  with --fake: PCT % of its processes exit and as many start at each refresh (0-50)
Over SSH: ssh -L 8080:127.0.0.1:PORT host, then open the printed URL with port 8080.
Environment: PROCSCOPE_CONFIG_DIR  folder for the dump settings (default ~/.config/procscope)
             PROCSCOPE_TEST_ELEVATOR=direct  tests only: "Retry as administrator" runs without a prompt`;

export interface ServeOptions {
  port: number;
  intervalMs: number;
  fakeProcessCount: number | null;
  /** --fake-churn: share of the fake processes replaced per refresh, in percent (absent: none). */
  fakeChurnPercent?: number;
}

function integerArg(flag: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new CliUsageError(`${flag} needs a whole number.`);
  const n = Number(value);
  if (n < min || n > max) throw new CliUsageError(`${flag} must be between ${min} and ${max}.`);
  return n;
}

export function parseServeArgs(args: string[]): ServeOptions {
  const options: ServeOptions = { port: 0, intervalMs: 1000, fakeProcessCount: null };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const [name, inline] = flag.includes('=') ? flag.split('=', 2) : [flag, undefined];
    const value = () => (inline !== undefined ? inline : args[++i]);
    if (name === '--port') options.port = integerArg('--port', value(), 0, 65535);
    else if (name === '--interval') {
      options.intervalMs = integerArg('--interval', value(), 0, 10_000);
      if (!(REFRESH_INTERVALS_MS as readonly number[]).includes(options.intervalMs)) {
        throw new CliUsageError(`--interval must be one of ${REFRESH_INTERVALS_MS.join(', ')}.`);
      }
    } else if (name === '--fake') options.fakeProcessCount = integerArg('--fake', value(), 1, 100_000);
    else if (name === '--fake-churn') options.fakeChurnPercent = integerArg('--fake-churn', value(), 0, 50);
    else throw new CliUsageError(`unknown option '${flag}'.`);
  }
  if (options.fakeChurnPercent !== undefined && options.fakeProcessCount === null) {
    throw new CliUsageError('--fake-churn needs --fake N.');
  }
  return options;
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Serve the process tree to a browser on 127.0.0.1 (token in the printed URL)',
  usage: USAGE,
  async run(args, io) {
    const options = parseServeArgs(args);
    const backend =
      options.fakeProcessCount === null
        ? await createPlatformBackend()
        : createFakeBackend({
            processCount: options.fakeProcessCount,
            changingFraction: 0.02,
            // Churn (bench:ui): as many start as exit, so the machine keeps its size.
            spawnPerSample: Math.round((options.fakeProcessCount * (options.fakeChurnPercent ?? 0)) / 100),
            exitPerSample: Math.round((options.fakeProcessCount * (options.fakeChurnPercent ?? 0)) / 100),
          });
    const poller = createPoller(backend, { intervalMs: options.intervalMs });
    const services = createAppServices({
      backend,
      poller,
      version: packageJson.version,
      initialIntervalMs: options.intervalMs,
      // The fake machine (demos, bench:ui) keeps its view in memory: it must not change the real one.
      viewSettingsDir: options.fakeProcessCount === null ? serveConfigDir(process.env) : undefined,
      analysisRunner: createWorkerAnalysisRunner(join(__dirname, 'analysis-worker.js')),
      // The fake machine's pids are not real processes, so it writes no dumps and runs no capture watches.
      ...(options.fakeProcessCount === null
        ? {
            dumpEngineFactory: createServeDumpEngineFactory({ env: process.env, cliScriptPath: join(__dirname, 'cli.js') }),
            captureEngines: await createServeCaptureEngines({ env: process.env, cliScriptPath: join(__dirname, 'cli.js') }),
          }
        : {}),
    });
    const rendererDir = process.env.PROCSCOPE_RENDERER_DIR ?? join(__dirname, '..', 'renderer');
    const host = await startWebHost({ services, rendererDir, port: options.port });
    poller.start();
    io.stdout(`Procscope is serving on 127.0.0.1 only. Open:\n  ${host.url}\n`);
    return new Promise<number>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void host
          .close()
          .then(() => services.dispose())
          .finally(() => done(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
