/*
 * The one switch from a backend's platform to its detail source. Sources are loaded lazily (on the first detail
 * call), so a Linux run never loads Windows DLL declarations and a host that never opens Properties loads none.
 */
import type { ProcessBackend } from '../platform/backend';
import type { ProcessDetailSource } from './detail-source';

export function platformDetailSourceFactory(backend: Pick<ProcessBackend, 'platform' | 'readStartTimeMs'>): (() => Promise<ProcessDetailSource>) | null {
  switch (backend.platform) {
    case 'fake':
      return async () => (await import('./fake-detail-source')).createFakeDetailSource(backend);
    case 'linux':
      return async () => (await import('./linux/linux-detail-source')).createLinuxDetailSource();
    case 'win32':
      return async () => (await import('./win32/win32-detail-source')).createWin32DetailSource();
  }
}
