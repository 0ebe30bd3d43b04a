/*
 * Builds and starts e2e/detail-target.c for the Properties, lower pane and Find Handle or DLL specs: the program and
 * its known library (libpsdetail-<marker>.so) compiled with gcc into a temp folder, a known file it keeps open, a TCP
 * listener on 127.0.0.1, a secret marker in its environment and a thread parked in psdetail_parked_here().
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DetailTarget {
  pid: number;
  marker: string;
  /** The value of PSDETAIL_SECRET in its environment. */
  envMarker: string;
  openFile: string;
  libraryPath: string;
  libraryName: string;
  port: number;
  parkedTid: number;
  stop(): void;
}

export async function startDetailTarget(): Promise<DetailTarget> {
  const marker = `psdet${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'procscope-e2e-detail-'));
  const source = join(__dirname, 'detail-target.c');
  const libraryName = `libpsdetail-${marker}.so`;
  const libraryPath = join(dir, libraryName);
  const exe = join(dir, 'detail-target');
  const openFile = join(dir, `held-${marker}.txt`);
  execFileSync('gcc', ['-O1', '-g', '-shared', '-fPIC', '-DDETAIL_LIB', '-o', libraryPath, source]);
  execFileSync('gcc', ['-O1', '-g', '-pthread', '-o', exe, source, '-ldl']);
  writeFileSync(openFile, 'held open by detail-target\n');
  const envMarker = `secret-${randomBytes(6).toString('hex')}`;
  const child = spawn(exe, [marker, openFile, libraryPath], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PSDETAIL_SECRET: envMarker } });
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('detail-target did not get ready')), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.split('\n')[0]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`detail-target exited with ${code}`)));
  });
  const [, port, tid] = /^ready (\d+) (\d+)$/.exec(ready) ?? [];
  if (!port || !tid) throw new Error(`detail-target said '${ready}'`);
  return {
    pid: child.pid!,
    marker,
    envMarker,
    openFile,
    libraryPath,
    libraryName,
    port: Number(port),
    parkedTid: Number(tid),
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
