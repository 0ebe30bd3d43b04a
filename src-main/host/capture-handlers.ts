/*
 * The request handlers of the capture channels (start, stop, retry elevated, dismiss, list), beside
 * dump-handlers.ts so request-handlers.ts stays a table. The capture service does the work and answers bad input
 * with DumpError / HostRequestError sentences, which dispatchRequest() passes on with their contract codes.
 */
import type { AppServices } from './app-services';
import type { RequestHandlersFor } from './request-context';

type CaptureChannel =
  | 'procscope:start-capture'
  | 'procscope:stop-capture'
  | 'procscope:retry-capture-elevated'
  | 'procscope:dismiss-capture'
  | 'procscope:list-captures';

export function createCaptureHandlers(services: AppServices): RequestHandlersFor<CaptureChannel> {
  const captures = services.captures;
  return {
    'procscope:start-capture': async (args) => captures.start(args),
    'procscope:stop-capture': async ({ watchId }) => captures.stop(watchId),
    'procscope:retry-capture-elevated': async ({ watchId }) => captures.retryElevated(watchId),
    'procscope:dismiss-capture': async ({ watchId }) => captures.dismiss(watchId),
    // Listing answers in every host (an empty list where capture cannot run), so a window never has to guess.
    'procscope:list-captures': async () => captures.list(),
  };
}
