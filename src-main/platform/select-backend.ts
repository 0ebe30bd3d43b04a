/*
 * The only switch on process.platform for process sources. Backends are loaded lazily so that a Linux run never
 * loads Windows DLL declarations and vice versa.
 */
import type { ProcessBackend } from './backend';

export interface PlatformBackendOptions {
  /** Only one snapshot will be taken: the backend may skip what only pays off over many polls. */
  oneShot?: boolean;
}

export async function createPlatformBackend(
  platform: NodeJS.Platform = process.platform,
  options: PlatformBackendOptions = {},
): Promise<ProcessBackend> {
  switch (platform) {
    case 'linux': {
      const { createLinuxBackend } = await import('./linux/linux-backend');
      return createLinuxBackend(options);
    }
    case 'win32': {
      const { createWin32Backend } = await import('./win32/win32-backend');
      return createWin32Backend();
    }
    default:
      throw new Error(`Procscope does not support ${platform} yet: it runs on Windows and Linux.`);
  }
}
