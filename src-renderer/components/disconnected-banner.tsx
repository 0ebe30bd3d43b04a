/*
 * The disconnected state of the browser host's page: a banner that says the list is no longer live and when the
 * next try is due, and a gate that disables every control inside it while down (a <fieldset disabled> laid out as
 * if absent). A serve started anew has a new token: its printed URL is the way back to it.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { useConnection } from '../api/connection';

export function DisconnectedBanner() {
  const { state } = useConnection();
  const [now, setNow] = useState(() => Date.now());
  const down = !state.connected;
  useEffect(() => {
    if (!down) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [down]);
  if (state.connected) return null;
  const seconds = state.retryAtMs === null ? null : Math.max(0, Math.ceil((state.retryAtMs - now) / 1000));
  return (
    <div role="alert" className="disconnected-banner">
      <strong>Disconnected from procscope serve.</strong>
      <span>
        {state.reason} The list shows the last data seen, not live data; actions are off. {seconds ? `Retrying in ${seconds} s.` : 'Reconnecting…'}
      </span>
    </div>
  );
}

export function ConnectionGate({ children }: { children: ReactNode }) {
  const { state } = useConnection();
  return (
    // role="presentation": only its disabling counts; the page's structure stays as without it.
    <fieldset className="connection-gate" role="presentation" disabled={!state.connected}>
      {children}
    </fieldset>
  );
}
