// What a process's exit takes from /proc, and what its zombie keeps: the capture engine reads the exe link and the
// command line of an exec'd child at its exec stop, and its stat only after resuming it, because an exited child it
// traces stays a zombie until the tracer reaps it. Here a shell's background child exits while the shell (exec'd
// into sleep) never waits: its zombie's stat still names it, with its parent, and its image reads empty.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { parseProcStat } from '../../platform/linux/proc-stat';
import { readProcImageSync, readProcInfoIfLiveSync } from './process-info';

function stateOf(pid: number): string | null {
  try {
    const buf = readFileSync(`/proc/${pid}/stat`);
    return parseProcStat(buf, buf.length)?.stateCode ?? null;
  } catch {
    return null;
  }
}

describe.runIf(process.platform === 'linux')('process-info on a zombie', () => {
  it('a zombie keeps its stat (name, parent, start time) and loses its exe link and command line', async () => {
    // The shell prints its background child's pid, then becomes sleep, which never reaps that child.
    const shell = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: shell.stdout! }).once('line', resolve);
        shell.once('error', reject);
      });
      const zombie = Number(line);
      expect(zombie).toBeGreaterThan(0);
      const deadline = Date.now() + 5000;
      while (stateOf(zombie) !== 'Z' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(stateOf(zombie)).toBe('Z');

      expect(readProcImageSync(zombie)).toEqual({ exeName: '', cmdline: '' });
      const info = readProcInfoIfLiveSync(zombie, { exeName: 'sleep', cmdline: 'sleep 0' });
      expect(info).not.toBeNull();
      expect(info!.name).toBe('sleep');
      expect(info!.ppid).toBe(shell.pid);
      expect(info!.cmdline).toBe('sleep 0');
      expect(Math.abs(info!.startTimeMs - Date.now())).toBeLessThan(10_000);
    } finally {
      shell.kill('SIGKILL');
    }
  });
});
