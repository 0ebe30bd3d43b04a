/*
 * The bitness rule of the Windows writer: a 64-bit Procscope does not dump a 32-bit (WOW64) process, because
 * MiniDumpWriteDump from a 64-bit caller records the WOW64 layer's 64-bit view and debuggers then show the wrong
 * stacks. There is no 32-bit helper yet, so the answer is a plain 'unsupported'. Pure, unit-tested.
 */
import { DumpError } from '../dump-writer';

export function refuseWrongBitness(pid: number, targetIs32Bit: boolean | null, ourArch: string): void {
  if (targetIs32Bit === true && ourArch !== 'ia32') {
    throw new DumpError(
      'unsupported',
      `Process ${pid} is 32-bit, and Procscope writes 64-bit dumps only: a 64-bit dump of it would show debuggers the ` +
        'wrong stacks. Dump it with the 32-bit Task Manager (C:\\Windows\\SysWOW64\\taskmgr.exe).',
    );
  }
}
