import type { ChildProcess } from 'node:child_process';
/** Resolves to serve's tokenised URL; rejects if the child exits first. */
export function waitForServeUrl(child: ChildProcess, what?: string): Promise<string>;
