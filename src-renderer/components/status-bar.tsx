/* Process Explorer's status bar: process count, total CPU, physical memory use, refresh state. */
import { formatIntervalMs } from '../format/format';
import { useAppStore } from '../store/app-store';

export function StatusBar({ disconnected }: { disconnected: string | null }) {
  const system = useAppStore((s) => s.system);
  const pollerState = useAppStore((s) => s.pollerState);
  // The processes in the list (exiting ones are already gone for the count), as Process Explorer counts them.
  const processCount = useAppStore((s) => {
    let exiting = 0;
    for (const status of s.rowStatus.values()) if (status === 'exiting') exiting++;
    return s.seq === null ? null : s.rows.size - exiting;
  });
  const usedBytes = system?.memoryTotalBytes != null && system.memoryAvailableBytes != null ? system.memoryTotalBytes - system.memoryAvailableBytes : null;
  const memoryPercent = usedBytes !== null && system?.memoryTotalBytes ? (100 * usedBytes) / system.memoryTotalBytes : null;
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GB`;
  return (
    <footer className="status-bar" aria-label="Status">
      <span>Processes: {processCount ?? '…'}</span>
      <span>CPU Usage: {system?.cpuPercent != null ? `${system.cpuPercent.toFixed(2)}%` : '…'}</span>
      <span>
        Physical Memory: {memoryPercent !== null && usedBytes !== null ? `${memoryPercent.toFixed(1)}% (${gib(usedBytes)} of ${gib(system!.memoryTotalBytes!)})` : '…'}
      </span>
      <span className={pollerState?.intervalMs === 0 ? 'paused-note' : undefined}>
        {pollerState ? (pollerState.intervalMs === 0 ? 'Paused (Space resumes)' : `Refresh: ${formatIntervalMs(pollerState.intervalMs)}`) : ''}
      </span>
      {disconnected && <span role="alert" className="disconnected">Disconnected: {disconnected}</span>}
    </footer>
  );
}
