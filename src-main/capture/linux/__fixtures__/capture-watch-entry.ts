/*
 * A bundled child entry for the capture tests that need the tracer in a process of its own: run as `nobody` (it
 * must be refused with needs-elevation) or SIGKILLed while it holds a child (the tree must finish normally).
 * argv[2] is JSON {pid (or 'parent'), stuck, outDir, execPaths?}; every event is printed as one JSON line, a refusal as {"event":"refused"}.
 * With `stuck`, the core writer never finishes on its own and prints {"event":"holding"} when it is called.
 */
import { readProcessStartTimeMs } from '../../../platform/linux/proc-start-time';
import { DumpError } from '../../../dump/dump-writer';
import { testCaptureRule } from '../../__fixtures__/capture-rule-fixture';
import { createLinuxCaptureEngine, type HeldCoreWriter } from '../linux-capture-engine';

const parsed = JSON.parse(process.argv[2] ?? '{}') as { pid: number | 'parent'; stuck: boolean; outDir: string; execPaths?: string[] };
// 'parent': watch the process that started this one, so that this tracer is itself one of its descendants.
const config = { ...parsed, pid: parsed.pid === 'parent' ? process.ppid : parsed.pid };
const print = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

const stuck: HeldCoreWriter = (request, _held, options) =>
  new Promise((_resolve, reject) => {
    print({ event: 'holding', pid: request.pid });
    options.signal?.addEventListener('abort', () => reject(new DumpError('cancelled', 'stopped')));
  });

const rule = testCaptureRule({ pid: config.pid, startTimeMs: readProcessStartTimeMs(config.pid) ?? 0 }, config.outDir, {
  holdTimeoutMs: 120_000,
  timeoutMs: 120_000,
  ...(parsed.execPaths ? { execPaths: parsed.execPaths } : {}),
});

createLinuxCaptureEngine(config.stuck ? { writeHeldCore: stuck } : {})
  .start(rule, print)
  .then(
    (watch) => watch.finished,
    (err: unknown) => {
      const e = err as DumpError;
      print({ event: 'refused', code: e.code, message: e.message });
    },
  );
