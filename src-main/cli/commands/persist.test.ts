import { describe, expect, it } from 'vitest';
import { createMemoryRegistry } from '../../capture/persistent/__fixtures__/memory-registry';
import { runPersistAction, type PersistAction } from '../../capture/persistent/persistent-apply';
import { IFEO_KEY } from '../../capture/persistent/persistent-plan';
import { DumpError } from '../../dump/dump-writer';
import { CliUsageError } from '../cli-command';
import { runCli } from '../main';
import { EDR_WARNING, parsePersistArgs, runPersist, type PersistDeps } from './persist';

const CWD = 'C:\\Users\\ana';

function harness(over: Partial<PersistDeps> = {}) {
  const registry = createMemoryRegistry();
  const calls: string[] = [];
  const deps: PersistDeps = {
    platform: 'win32',
    cwd: () => CWD,
    isElevated: async () => true,
    runLocally: async (a) => (calls.push(`local ${a.action}`), runPersistAction(registry, a)),
    runThroughHelper: async (a) => (calls.push(`helper ${a.action}`), runPersistAction(registry, a)),
    ...over,
  };
  const out = { stdout: '', stderr: '' };
  const io = { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) };
  return { deps, io, out, registry, calls, run: (args: string[]) => runPersist(args, io, deps) };
}

describe('procscope persist: usage attacks and refusals', () => {
  it('refuses a path or traversal as the image and lsass.exe, before anything runs', () => {
    const usage = (args: string[]): string => {
      try {
        parsePersistArgs(args, CWD);
      } catch (err) {
        expect(err).toBeInstanceOf(CliUsageError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(usage(['add', '..\\evil.exe', '--on', 'exit', '--out', 'D'])).toMatch(/bare file name/);
    expect(usage(['add', 'C:\\Windows\\hostname.exe', '--on', 'exit', '--out', 'D'])).toMatch(/bare file name/);
    expect(usage(['add', 'lsass.exe', '--on', 'exit', '--out', 'D'])).toMatch(/^Refused: lsass\.exe/);
    expect(usage(['add', 'hostname.exe', '--on', 'start', '--out', 'D'])).toMatch(/crash or exit/);
    expect(usage(['add', 'hostname.exe', '--out', 'D'])).toMatch(/--on crash, --on exit/);
    expect(usage(['add', 'hostname.exe', '--on', 'exit'])).toMatch(/--out DIR is required/);
    expect(usage(['add', 'hostname.exe', '--on', 'exit', '--out', '%TEMP%'])).toMatch(/'%'/);
    expect(usage(['remove', 'hostname.exe', '--full'])).toMatch(/only the image/);
    expect(usage(['drop'])).toMatch(/add, remove or list/);
  });

  it('resolves a relative --out against the current folder, Windows-style', () => {
    expect(parsePersistArgs(['add', 'HostName.exe', '--on', 'crash,exit', '--full', '--out', 'Dumps'], CWD)).toEqual({
      action: { action: 'add', request: { image: 'HostName.exe', triggers: ['crash', 'exit'], kind: 'full', folder: 'C:\\Users\\ana\\Dumps' } },
      json: false,
    });
  });

  it('refuses on Linux with what the system has instead, and changes nothing', async () => {
    const h = harness({ platform: 'linux' });
    expect(await h.run(['add', 'hostname.exe', '--on', 'exit', '--out', 'C:\\d'])).toBe(2);
    expect(h.out.stderr).toMatch(/Windows only.*systemd-coredump.*core_pattern.*ProcDump for Linux has no equivalent/);
    expect(h.calls).toEqual([]);
  });

  it('a foreign GlobalFlag is refused with exit 1 and the sentence, and left as it was', async () => {
    const h = harness();
    h.registry.seed(`${IFEO_KEY}\\hostname.exe`, 'GlobalFlag', { type: 'dword', data: 0x2 });
    expect(await h.run(['add', 'hostname.exe', '--on', 'exit', '--out', 'C:\\d'])).toBe(1);
    expect(h.out.stderr).toMatch(/GlobalFlag \(0x2\) that Procscope did not set/);
    expect(h.registry.get(`${IFEO_KEY}\\hostname.exe`, 'GlobalFlag')).toMatchObject({ data: 0x2 });
  });
});

describe('procscope persist: add, list, remove', () => {
  it('add prints the EDR warning first, what was set, the keys, the secrets warning and how to remove it', async () => {
    const h = harness();
    expect(await h.run(['add', 'hostname.exe', '--on', 'exit', '--on', 'crash', '--full', '--out', 'C:\\Users\\ana\\Dumps'])).toBe(0);
    expect(h.out.stderr.startsWith(EDR_WARNING)).toBe(true);
    expect(h.out.stdout).toMatch(/hostname\.exe: a full dump when it crashes \(WER LocalDumps\), into C:\\Users\\ana\\Dumps/);
    expect(h.out.stdout).toMatch(/hostname\.exe: a full dump when it exits or is terminated \(Silent Process Exit\)/);
    expect(h.out.stdout).toContain(`HKLM\\${IFEO_KEY}\\hostname.exe`);
    expect(h.out.stderr).toMatch(/passwords, tokens/);
    expect(h.out.stderr).toMatch(/Remove with: procscope persist remove hostname\.exe/);
    expect(h.calls).toEqual(['local add']);
  });

  it('goes through the elevated helper when not elevated, but lists in-process', async () => {
    const h = harness({ isElevated: async () => false });
    expect(await h.run(['add', 'hostname.exe', '--on', 'crash', '--out', 'C:\\d'])).toBe(0);
    expect(h.out.stderr).toMatch(/needs administrator rights; Windows will ask \(UAC\)/);
    expect(await h.run(['list', '--json'])).toBe(0);
    expect(h.out.stdout).toContain('{"entries":[{"image":"hostname.exe","trigger":"crash","kind":"mini","folder":"C:\\\\d"}]}');
    expect(await h.run(['remove', 'hostname.exe'])).toBe(0);
    expect(h.calls).toEqual(['helper add', 'local list', 'helper remove']);
    expect(h.registry.readKey(`${IFEO_KEY}\\hostname.exe`)).toBeNull();
  });

  it('a helper refusal (UAC cancelled) is exit 1 with its sentence', async () => {
    const h = harness({ isElevated: async () => false, runThroughHelper: async (a: PersistAction) => Promise.reject(new DumpError('elevation-cancelled', `Elevation was cancelled (${a.action}).`)) });
    expect(await h.run(['remove', 'hostname.exe'])).toBe(1);
    expect(h.out.stderr).toMatch(/Elevation was cancelled \(remove\)/);
  });

  it('is listed in procscope --help', async () => {
    let out = '';
    await runCli(['--help'], { stdout: (t) => (out += t), stderr: () => {} });
    expect(out).toMatch(/persist\s+Windows: make Windows itself dump/);
  });
});
