/*
 * A scripted detail source over the fake backend (`procscope serve --fake`, unit tests, the IPC fuzz): every part
 * derived from the pid, so a UI can be built and tested without a real OS. Pids divisible by 7 refuse the
 * environment and handles as a non-elevated reader would ('access-denied'), so the per-tab error states show.
 * Thread actions: suspend/resume are remembered per tid, kill is 'unsupported'.
 */
import type { DetailPart, FindResult, ThreadStackDetail } from '../../src-shared/model/process-detail';
import { processKey } from '../../src-shared/model/process';
import type { ProcessBackend, ProcessTarget } from '../platform/backend';
import {
  createFindCollector,
  DetailFailure,
  partResult,
  unsupportedThreadAction,
  type DetailSourceContext,
  type FindLimits,
  type ProcessDetailSource,
  type SourceParts,
} from './detail-source';

const MODULES = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libm.so.6', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'];

export function createFakeDetailSource(backend: Pick<ProcessBackend, 'readStartTimeMs'>): ProcessDetailSource {
  const suspended = new Set<string>();

  const check = (target: ProcessTarget): void => {
    const start = backend.readStartTimeMs(target.pid);
    if (start === null) throw new DetailFailure('process-gone', `Process ${target.pid} has exited.`);
    if (start !== target.startTimeMs) throw new DetailFailure('pid-recycled', `Pid ${target.pid} now belongs to a newer process.`);
  };
  const denied = (pid: number): boolean => pid % 7 === 0;
  const tids = (pid: number): number[] => [pid, pid + 1, pid + 2];
  const hex = (n: number): string => `0x${n.toString(16)}`;
  const modules = (pid: number) =>
    [`/opt/fake/bin/proc-${pid}`, ...MODULES].map((path, i) => ({
      name: path.slice(path.lastIndexOf('/') + 1),
      path,
      baseAddress: hex(0x7f0000000000 + i * 0x200000 + (pid % 16) * 0x1000),
      sizeBytes: 0x1d0000,
      version: null,
      description: null,
      companyName: null,
      buildId: (pid * 2654435761 + i).toString(16).padStart(40, '0').slice(-40),
    }));
  const handles = (pid: number) => [
    { handle: '0', kind: 'device' as const, type: 'CHR', name: '/dev/null', access: '0100000' },
    { handle: '3', kind: 'file' as const, type: 'REG', name: `/var/log/fake-${pid}.log`, access: '0102001' },
    { handle: '4', kind: 'socket' as const, type: 'socket', name: `TCP 127.0.0.1:${8000 + (pid % 1000)} (LISTEN)`, access: '02' },
    { handle: '5', kind: 'pipe' as const, type: 'FIFO', name: `pipe:[${1000 + pid}]`, access: '00' },
  ];

  return {
    platform: 'fake',
    async readParts(target, parts: readonly DetailPart[], context: DetailSourceContext): Promise<SourceParts> {
      check(target);
      const row = context.rows()?.find((r) => r.key === processKey(target.pid, target.startTimeMs)) ?? null;
      const out: SourceParts = {};
      for (const part of parts) {
        switch (part) {
          case 'image':
            out.image = await partResult(() => {
              const parent = row ? context.rows()?.find((r) => r.pid === row.ppid) ?? null : null;
              return {
                exePath: row?.exePath ?? `/opt/fake/bin/proc-${target.pid}`,
                commandLine: row?.commandLine ?? null,
                currentDirectory: '/',
                parentPid: row?.ppid ?? 0,
                parentName: parent?.name ?? null,
                parentExited: row !== null && row.ppid !== 0 && parent === null,
                user: row?.user ?? null,
                startTimeMs: target.startTimeMs,
                description: null,
                companyName: null,
                version: null,
                packageOwner: null,
                is32Bit: null,
                elevated: null,
                integrityLevel: null,
                autostartLocation: null,
              };
            });
            break;
          case 'performance':
            out.performance = await partResult(() => ({
              timestampMs: Date.now(),
              cpuPercent: row?.cpuPercent ?? null,
              privateBytes: row?.privateBytes ?? null,
              workingSetBytes: row?.workingSetBytes ?? null,
              ioReadBytes: target.pid * 4096,
              ioWriteBytes: target.pid * 1024,
              ioReadOps: target.pid,
              ioWriteOps: target.pid >> 1,
              handleCount: handles(target.pid).length,
              threadCount: tids(target.pid).length,
            }));
            break;
          case 'threads':
            out.threads = await partResult(() =>
              tids(target.pid).map((tid, i) => ({
                tid,
                name: i === 0 ? (row?.name ?? 'main') : `worker-${i}`,
                state: suspended.has(`${target.pid}:${tid}`) ? 'stopped' : 'sleeping',
                waitReason: 'futex_wait_queue',
                cpuTimeMs: tid * 3,
                cpuPercent: i === 0 ? 1.5 : 0,
                startAddress: null,
                startSymbol: null,
                priority: 0,
              })),
            );
            break;
          case 'modules':
            out.modules = await partResult(() => modules(target.pid));
            break;
          case 'handles':
            out.handles = await partResult(() => {
              if (denied(target.pid)) throw new DetailFailure('access-denied', 'Access denied — needs elevation.');
              return handles(target.pid);
            });
            break;
          case 'sockets':
            out.sockets = await partResult(() => [
              { protocol: 'tcp' as const, localAddress: '127.0.0.1', localPort: 8000 + (target.pid % 1000), remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN' },
            ]);
            break;
          case 'services':
            out.services = await partResult(() => (target.pid % 5 === 0 ? [{ name: `fake-${target.pid}.service`, displayName: null, state: 'running' }] : []));
            break;
          case 'environment':
            out.environment = await partResult(() => {
              if (denied(target.pid)) throw new DetailFailure('access-denied', 'Access denied — needs elevation.');
              return [
                { name: 'PATH', value: '/usr/bin:/bin' },
                { name: 'FAKE_PID', value: String(target.pid) },
              ];
            });
            break;
        }
      }
      check(target);
      return out;
    },
    async readThreadStack(target, tid): Promise<ThreadStackDetail> {
      check(target);
      if (!tids(target.pid).includes(tid)) throw new DetailFailure('process-gone', `Thread ${tid} is not a thread of process ${target.pid}.`);
      const frame = (index: number, fn: string, pc: number) => ({
        index,
        pc: hex(pc),
        module: 'libc.so.6',
        offset: hex(pc & 0xfffff),
        function: fn,
        functionOffset: '0x10',
        mangled: null,
        trust: (index === 0 ? 'context' : 'cfi') as 'context' | 'cfi',
      });
      return { tid, frames: [frame(0, 'futex_wait', 0x7f0000012340), frame(1, 'pthread_cond_wait', 0x7f0000023450), frame(2, 'start_thread', 0x7f0000034560)], pausedMs: 0, note: null };
    },
    async threadAction(target, tid, action) {
      check(target);
      if (!tids(target.pid).includes(tid)) throw new DetailFailure('process-gone', `Thread ${tid} is not a thread of process ${target.pid}.`);
      if (action === 'kill') throw unsupportedThreadAction('kill', 'the fake machine does not kill threads.');
      const key = `${target.pid}:${tid}`;
      if (action === 'suspend') suspended.add(key);
      else suspended.delete(key);
    },
    async findHandleOrDll(query, limits: FindLimits, context): Promise<FindResult> {
      const found = createFindCollector(query, limits);
      for (const row of context.rows() ?? []) {
        if (found.full()) break;
        for (const m of modules(row.pid)) {
          if (found.matches(m.path) && !found.add({ pid: row.pid, startTimeMs: row.startTimeMs, processName: row.name, kind: 'module', name: m.path, handle: null })) break;
        }
        if (denied(row.pid)) {
          found.countUnreadable();
          continue;
        }
        for (const h of handles(row.pid)) {
          if (h.name && found.matches(h.name) && !found.add({ pid: row.pid, startTimeMs: row.startTimeMs, processName: row.name, kind: h.kind, name: h.name, handle: h.handle })) break;
        }
      }
      return found.result();
    },
    retainOnly(keys) {
      for (const key of [...suspended]) {
        const [pid] = key.split(':');
        if (![...keys].some((k) => k.startsWith(`${pid}:`))) suspended.delete(key);
      }
    },
    dispose() {
      suspended.clear();
    },
  };
}
