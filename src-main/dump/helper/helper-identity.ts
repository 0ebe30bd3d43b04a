/*
 * How the helper reads a live process's start time, to refuse a recycled pid. Linux reads /proc directly (a
 * small module, no backend start-up in an elevated process); Windows asks its backend. Loaded lazily so a Linux
 * helper never loads Windows DLL declarations.
 */
export async function createStartTimeReader(platform: NodeJS.Platform = process.platform): Promise<(pid: number) => number | null> {
  if (platform === 'linux') {
    const { readProcessStartTimeMs } = await import('../../platform/linux/proc-start-time');
    return readProcessStartTimeMs;
  }
  const { createPlatformBackend } = await import('../../platform/select-backend');
  const backend = await createPlatformBackend(platform);
  return (pid) => backend.readStartTimeMs(pid);
}
