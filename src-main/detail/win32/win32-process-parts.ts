/*
 * The Windows readers of the Properties window's per-process parts that need no thread or handle walk: Image,
 * Performance (one sample; the host keeps the history), Modules, TCP/IP, Services and Environment. Each is a plain
 * function of the (pid, start time) target that returns the contract's type or throws a DetailFailure; the identity
 * is checked before and after (win32-target.ts). Runs in the main process / CLI.
 */
import { statSync } from 'node:fs';
import type {
  EnvironmentVariable, ImageDetail, ModuleDetail, PerformanceSample, ServiceDetail, SocketDetail,
} from '../../../src-shared/model/process-detail';
import type { ProcessTarget } from '../../platform/backend';
import { findSystemProcessDetail, parseEnvironmentBlock, type SystemProcessDetailRecord } from '../../platform/win32/ffi/detail-structs';
import { readSocketTables } from '../../platform/win32/ffi/iphlpapi';
import { openProcess, ProcessAccess } from '../../platform/win32/ffi/kernel32';
import { querySystemProcessInformation } from '../../platform/win32/ffi/ntdll';
import { enumProcessModules, readCurrentDirectory, readEnvironmentBlock, runningUnderWine } from '../../platform/win32/ffi/process-memory';
import { readRunEntries } from '../../platform/win32/ffi/run-keys';
import { enumServices } from '../../platform/win32/ffi/services';
import { parseSystemProcessInformation } from '../../platform/win32/ffi/system-process-parse';
import { readVersionStrings, type VersionStrings } from '../../platform/win32/ffi/version';
import { fileTimeToUnixMs } from '../../platform/win32/ffi/win-time';
import { readProcessExtras } from '../../platform/win32/win32-process-extras';
import { baseName } from './live-modules';
import { DetailFailure } from '../detail-source';
import { withIdentity, withProcess } from './win32-target';

const QUERY_AND_READ = ProcessAccess.QUERY_INFORMATION | ProcessAccess.VM_READ;

function safe<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

/** The target's entry (and threads) in one SystemProcessInformation read; 'process-gone' when it is not there. */
export function systemRecord(target: ProcessTarget): SystemProcessDetailRecord {
  const rec = findSystemProcessDetail(querySystemProcessInformation().bytes, target.pid);
  if (!rec) throw new DetailFailure('process-gone', `Process ${target.pid} has exited.`);
  const start = rec.createTime100ns === 0n ? 0 : fileTimeToUnixMs(rec.createTime100ns);
  if (start !== target.startTimeMs) throw new DetailFailure('pid-recycled', `Process ${target.pid} is no longer the one you selected: its id was reused.`);
  return rec;
}

/** Version resources by file path: a DLL's does not change while it is loaded, and each read opens the file. */
export class VersionCache {
  readonly #byPath = new Map<string, VersionStrings | null>();
  get(path: string): VersionStrings | null {
    const key = path.toLowerCase();
    if (!this.#byPath.has(key)) {
      if (this.#byPath.size > 4096) this.#byPath.clear();
      this.#byPath.set(key, path ? safe(() => readVersionStrings(path)) : null);
    }
    return this.#byPath.get(key) ?? null;
  }
}

/** A Run value runs this image when its command names the path, quoted or not. */
export function commandRuns(command: string, exePath: string): boolean {
  const c = command.toLowerCase().trim();
  const p = exePath.toLowerCase();
  return c === p || c.startsWith(`"${p}"`) || c.startsWith(`${p} `) || c.startsWith(`${p},`);
}

export async function readImage(target: ProcessTarget, versions: VersionCache): Promise<ImageDetail> {
  return withIdentity(target, () => {
    const { bytes, baseAddress } = querySystemProcessInformation();
    const records = parseSystemProcessInformation(bytes, baseAddress);
    const self = records.find((r) => r.pid === target.pid);
    if (!self) throw new DetailFailure('process-gone', `Process ${target.pid} has exited.`);
    const extras = readProcessExtras(target.pid);
    if (target.pid > 4 && extras.exePath === null && extras.user === null) {
      const probe = openProcess(target.pid, ProcessAccess.QUERY_LIMITED_INFORMATION);
      if (!probe) throw new DetailFailure('access-denied', `Access denied — needs elevation (process ${target.pid}).`);
      probe.close();
    }
    let currentDirectory: string | null = null;
    if (extras.is32Bit !== true) {
      const h = openProcess(target.pid, QUERY_AND_READ);
      if (h) {
        currentDirectory = safe(() => readCurrentDirectory(h));
        h.close();
      }
    }
    // A parent that started after its child is a newer process reusing the parent's pid.
    const parent = self.ppid ? records.find((r) => r.pid === self.ppid && r.createTimeMs <= self.createTimeMs) : undefined;
    const version = extras.exePath ? versions.get(extras.exePath) : null;
    let autostartLocation: string | null = null;
    const services = safe(() => enumServices().filter((s) => s.pid === target.pid)) ?? [];
    if (services.length) autostartLocation = services.map((s) => `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${s.name}`).join('; ');
    else if (extras.exePath) {
      const exe = extras.exePath;
      autostartLocation = (safe(() => readRunEntries()) ?? []).find((e) => commandRuns(e.command, exe))?.location ?? null;
    }
    return {
      exePath: extras.exePath,
      commandLine: extras.commandLine,
      currentDirectory,
      parentPid: self.ppid,
      parentName: parent ? parent.imageName : null,
      parentExited: self.ppid !== 0 && !parent,
      user: extras.user,
      startTimeMs: target.startTimeMs,
      description: extras.description,
      companyName: extras.companyName,
      version: version?.fileVersion ?? null,
      packageOwner: null,
      is32Bit: extras.is32Bit,
      elevated: extras.elevated,
      integrityLevel: extras.integrityLevel,
      autostartLocation,
    };
  });
}

/**
 * One Performance sample from SystemProcessInformation (no handle needed). Under Wine the I/O counters and the
 * private page count are never filled (NATIVE.md): they are null rather than a false 0.
 */
export function readPerformanceSample(target: ProcessTarget, previous: { cpuTimeMs: number; atMs: number } | null): { sample: PerformanceSample; cpuTimeMs: number } {
  const rec = systemRecord(target);
  const wine = runningUnderWine();
  const now = Date.now();
  const cpuPercent = previous && now > previous.atMs ? Math.max(0, ((rec.cpuTimeMs - previous.cpuTimeMs) / (now - previous.atMs)) * 100) : null;
  return {
    cpuTimeMs: rec.cpuTimeMs,
    sample: {
      timestampMs: now,
      cpuPercent,
      privateBytes: rec.privateBytes || rec.pagefileUsageBytes,
      workingSetBytes: rec.workingSetBytes,
      ioReadBytes: wine ? null : rec.ioReadBytes,
      ioWriteBytes: wine ? null : rec.ioWriteBytes,
      ioReadOps: wine ? null : rec.ioReadOps,
      ioWriteOps: wine ? null : rec.ioWriteOps,
      handleCount: rec.handleCount,
      threadCount: rec.threadCount,
    },
  };
}

export async function readModules(target: ProcessTarget, versions: VersionCache): Promise<ModuleDetail[]> {
  return withProcess(target, QUERY_AND_READ, (h) => {
    const list = enumProcessModules(h);
    if (!list) throw new DetailFailure('failed', `The module list of process ${target.pid} could not be read.`);
    return list.map((m) => {
      const v = versions.get(m.path);
      return {
        name: baseName(m.path),
        path: m.path,
        baseAddress: `0x${m.base.toString(16)}`,
        sizeBytes: m.sizeBytes,
        version: v?.fileVersion ?? null,
        description: v?.description ?? null,
        companyName: v?.companyName ?? null,
        buildId: null,
      };
    });
  });
}

export async function readSockets(target: ProcessTarget): Promise<SocketDetail[]> {
  return withIdentity(target, () =>
    readSocketTables(target.pid).map((s) => ({
      protocol: s.protocol,
      localAddress: s.localAddress,
      localPort: s.localPort,
      remoteAddress: s.remoteAddress,
      remotePort: s.remotePort,
      state: s.state,
    })),
  );
}

export async function readServices(target: ProcessTarget): Promise<ServiceDetail[]> {
  return withIdentity(target, () =>
    enumServices()
      .filter((s) => s.pid === target.pid)
      .map((s) => ({ name: s.name, displayName: s.displayName, state: s.state })),
  );
}

export async function readEnvironment(target: ProcessTarget): Promise<EnvironmentVariable[]> {
  return withProcess(target, QUERY_AND_READ, (h) => {
    const block = readEnvironmentBlock(h);
    if (!block) throw new DetailFailure('failed', `The environment of process ${target.pid} could not be read (a 32-bit process's is not read).`);
    return parseEnvironmentBlock(block);
  });
}

/** True for a path that names a folder (handles of folders are 'File' objects too). */
export function isDirectoryPath(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
