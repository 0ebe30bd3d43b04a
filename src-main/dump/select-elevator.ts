/* The only switch on process.platform for Elevators (pkexec on Linux, UAC "runas" on Windows); loaded lazily. */
import type { Elevator } from './helper/elevator';

export async function createPlatformElevator(platform: NodeJS.Platform = process.platform): Promise<Elevator | null> {
  switch (platform) {
    case 'linux': {
      const { createPkexecElevator } = await import('./linux/pkexec-elevator');
      return createPkexecElevator();
    }
    case 'win32': {
      const { createRunasElevator } = await import('./win32/runas-elevator');
      return createRunasElevator();
    }
    default:
      return null;
  }
}
