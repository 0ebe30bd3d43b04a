/*
 * The test double of an Elevator: starts the helper directly with the caller's own rights, no prompt. Tests and
 * CI use it because nobody can answer a pkexec or UAC prompt there; the engine can also use it to run an
 * unelevated job in a child process. It must never be chosen for a real "Retry as administrator".
 */
import { spawn } from 'node:child_process';
import type { Elevator } from './elevator';

export interface DirectElevatorOptions {
  /** Receives the helper's stderr (its refusal sentences); ignored when absent. */
  onStderr?: (text: string) => void;
  /** Environment of the helper; the caller's own by default. */
  env?: NodeJS.ProcessEnv;
}

export function createDirectElevator(options: DirectElevatorOptions = {}): Elevator {
  return {
    kind: 'direct',
    run(executable, args) {
      return new Promise((resolve, reject) => {
        const child = spawn(executable, [...args], { stdio: ['ignore', 'ignore', 'pipe'], windowsHide: true, env: options.env ?? process.env });
        child.stderr.on('data', (chunk: Buffer) => options.onStderr?.(chunk.toString('utf8')));
        child.once('error', reject);
        child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
      });
    },
  };
}
