/* The only switch on process.platform for dump writers; each writer module is loaded lazily. */
import type { DumpWriter } from './dump-writer';

/** `warmUp.hash: false`: the dumps will not be hashed (`procscope dump --no-hash`), so nothing is started for it. */
export async function createPlatformDumpWriter(platform: NodeJS.Platform = process.platform, warmUp: { hash?: boolean } = {}): Promise<DumpWriter> {
  switch (platform) {
    case 'linux': {
      const { createLinuxCoreWriter } = await import('./linux/linux-core-writer');
      return createLinuxCoreWriter(warmUp);
    }
    case 'win32': {
      const { createWin32MinidumpWriter } = await import('./win32/win32-minidump-writer');
      return createWin32MinidumpWriter();
    }
    default:
      throw new Error(`Procscope cannot write dumps on ${platform}.`);
  }
}
