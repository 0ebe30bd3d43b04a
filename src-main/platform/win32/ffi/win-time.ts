/* FILETIME conversion shared by the Windows FFI wrappers; pure, no koffi. */

/** FILETIME (100 ns intervals since 1601-01-01 UTC) to ms since the Unix epoch. */
export function fileTimeToUnixMs(fileTime100ns: bigint): number {
  return Number(fileTime100ns / 10_000n) - 11_644_473_600_000;
}
