/*
 * The shape of a request handler, shared by the handler table (request-handlers.ts) and the slices it spreads in
 * (dump-handlers.ts and any later one): what a handler receives besides its argument, and the typed table over
 * RequestChannel. Types only, so a slice never has to import the table it is part of (that made the two files
 * import each other).
 */
import type { RequestArgs, RequestChannel, RequestResult } from '../../src-shared/ipc/contract';
import type { HostSender } from './app-services';

export interface RequestContext {
  sender: HostSender;
}

/** The handlers of some channels; the full table (RequestHandlers) is the one over every RequestChannel. */
export type RequestHandlersFor<Channel extends RequestChannel> = {
  [C in Channel]: (args: RequestArgs<C>, context: RequestContext) => Promise<RequestResult<C>>;
};

export type RequestHandlers = RequestHandlersFor<RequestChannel>;
