/*
 * How the unelevated app starts its own executable with more rights, to run the dump helper: pkexec on Linux
 * (src-main/dump/linux), ShellExecuteExW "runas" on Windows (src-main/dump/win32), and a test double that starts
 * it directly, since no prompt can be answered in CI. An elevator only starts and waits; the job itself travels
 * over the helper's own channel.
 */
export interface Elevator {
  readonly kind: 'pkexec' | 'runas' | 'direct';
  /**
   * Start `executable args` elevated and resolve to its exit code. Rejects with
   * DumpError('elevation-cancelled') when the person cancels the prompt (UAC ERROR_CANCELLED 1223, pkexec 126).
   */
  run(executable: string, args: readonly string[]): Promise<number>;
}
