import { describe, expect, it } from 'vitest';
import { linuxProcessName } from './process-name';

describe('linuxProcessName', () => {
  it('lists node by its image, not the "MainThread" that Node 24 renames its main thread to', () => {
    expect(linuxProcessName('MainThread', '/usr/bin/node', 'node')).toBe('node');
  });
  it('keeps comm when the kernel set it from the executed name, even where the exe link differs (sh → dash)', () => {
    expect(linuxProcessName('sh', '/usr/bin/dash', '/bin/sh')).toBe('sh');
    expect(linuxProcessName('bash', '/usr/bin/bash', 'bash')).toBe('bash');
  });
  it('keeps a 15-byte comm cut from a longer image name', () => {
    expect(linuxProcessName('systemd-journal', '/usr/lib/systemd/systemd-journald', '/lib/systemd/systemd-journald')).toBe('systemd-journal');
  });
  it('keeps comm for a process that rewrote its command line but not its name (nginx: worker process)', () => {
    expect(linuxProcessName('nginx', '/usr/sbin/nginx', 'nginx: worker process')).toBe('nginx');
  });
  it('keeps comm when the image cannot be read (another user, kernel thread)', () => {
    expect(linuxProcessName('MainThread', null, 'node')).toBe('MainThread');
    expect(linuxProcessName('kworker/0:1', null, null)).toBe('kworker/0:1');
  });
  it('keeps the Windows image name Wine gives its processes (argv[0] is a Windows path)', () => {
    expect(linuxProcessName('services.exe', '/usr/lib/wine/wine64', 'C:\\windows\\system32\\services.exe')).toBe('services.exe');
  });
  it('compares argv[0] whole, spaces and all', () => {
    expect(linuxProcessName('my (odd) name) ', '/tmp/fx/my (odd) name) x', '/tmp/fx/my (odd) name) x')).toBe('my (odd) name) ');
  });
  it('names a deleted image without the " (deleted)" suffix', () => {
    expect(linuxProcessName('MainThread', '/opt/app/node (deleted)', 'node')).toBe('node');
  });
});
