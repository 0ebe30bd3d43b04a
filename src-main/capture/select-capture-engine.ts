/*
 * The only switch on process.platform for capture: the hosts, the CLI's `procscope watch` and the helper get their
 * CaptureEngine here. The engine must run in a process of its own (the CLI, the helper), never in Electron main.
 */
import { DumpError } from '../dump/dump-writer';
import type { CaptureEngine } from './capture-engine';
import { createLinuxCaptureEngine } from './linux/linux-capture-engine';

export function selectCaptureEngine(platform: NodeJS.Platform = process.platform): CaptureEngine {
  if (platform === 'linux') return createLinuxCaptureEngine();
  // Loaded on first use, so a Linux run never declares Windows DLL functions.
  if (platform === 'win32') {
    return { start: async (rule, onEvent) => (await import('./win32/win32-capture-engine')).createWin32CaptureEngine().start(rule, onEvent) };
  }
  const message = `Capture is not available on ${platform} yet: Procscope watches processes on Linux and Windows.`;
  return { start: () => Promise.reject(new DumpError('unsupported', message)) };
}
