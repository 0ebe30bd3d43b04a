/*
 * The small interface a per-OS process-detail source implements (issue 14: the Properties tabs, the lower pane, a
 * thread's stack, single-thread actions, Find Handle or DLL), and the helpers every source shares. A source reads
 * only what it is asked, when it is asked: never in the poll. The detail service (detail-service.ts) owns what is
 * common to both OSes — the Performance history fed by the poller, the identity refusal of a whole call, the Find
 * bounds — so a source answers only what the OS itself says.
 *
 * Identity: every call names the (pid, start time) it means. A source checks it before it reads anything and again
 * after (a pid recycled mid-read answers 'pid-recycled', never the newer process's data), and throws DetailFailure
 * for the whole call when the target is gone or recycled; any other failure belongs to one part and is answered in
 * that part's DetailResult, so one failing tab never blanks the others.
 */
import type {
  DetailError,
  DetailErrorCode,
  DetailPart,
  DetailResult,
  FindMatch,
  FindResult,
  PerformanceSample,
  ProcessDetail,
  ThreadAction,
  ThreadStackDetail,
} from '../../src-shared/model/process-detail';
import type { ProcessRow } from '../../src-shared/model/process';
import { ProcessActionError, type ProcessTarget } from '../platform/backend';

/**
 * What a source answers for the parts asked (a part not asked is absent). The same as ProcessDetail's parts except
 * Performance: a source answers the sample it reads now (the I/O counters, which the poll may not read); the service
 * fills its nulls from the poller's latest row and puts it after the history it kept.
 */
export type SourceParts = Omit<ProcessDetail, 'pid' | 'startTimeMs' | 'timestampMs' | 'performance'> & {
  performance?: DetailResult<PerformanceSample>;
};

/** What the host already knows that a source may use instead of reading it again. */
export interface DetailSourceContext {
  /** The poller's latest rows (parent names, exited parents), or null before the first poll. */
  rows(): readonly ProcessRow[] | null;
}

/** Find Handle or DLL's bounds; the service sets them, a source must stop at them. */
export interface FindLimits {
  /** Stop collecting (and say truncated) at this many matches. */
  maxMatches: number;
  /** Stop searching (and say truncated) after this long. */
  deadlineMs: number;
}

export interface ProcessDetailSource {
  readonly platform: 'linux' | 'win32' | 'fake';
  /**
   * The parts asked, each answered or refused on its own (access denied, unsupported, failed). Throws DetailFailure
   * with 'process-gone' or 'pid-recycled' when the target is not (or, after reading, no longer) the live process.
   */
  readParts(target: ProcessTarget, parts: readonly DetailPart[], context: DetailSourceContext): Promise<SourceParts>;
  /** Holds that one thread briefly, unwinds it, lets it go (always, also on failure). Throws DetailFailure. */
  readThreadStack(target: ProcessTarget, tid: number): Promise<ThreadStackDetail>;
  /** Throws DetailFailure ('unsupported' with a sentence where the OS cannot do it to one thread). */
  threadAction(target: ProcessTarget, tid: number, action: ThreadAction): Promise<void>;
  /**
   * Every readable process's modules and handles / fds whose name holds `query` (case-insensitive), collected with
   * createFindCollector so both OSes bound and count alike.
   */
  findHandleOrDll(query: string, limits: FindLimits, context: DetailSourceContext): Promise<FindResult>;
  /** Forget per-process state (previous CPU times, caches) of processes not in `keys` ('pid:startTimeMs'). */
  retainOnly(keys: ReadonlySet<string>): void;
  dispose(): void;
}

/** A refusal with the contract's code and the sentence the tab shows. */
export class DetailFailure extends Error {
  constructor(
    readonly code: DetailErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DetailFailure';
  }
}

const FAILURE_CODES: ReadonlySet<string> = new Set<DetailErrorCode>(['access-denied', 'process-gone', 'pid-recycled', 'unsupported', 'timeout', 'failed']);

/** Any thrown value as a DetailError: a DetailFailure or ProcessActionError keeps its code, the rest is 'failed'. */
export function detailErrorOf(err: unknown): DetailError {
  if ((err instanceof DetailFailure || err instanceof ProcessActionError) && FAILURE_CODES.has(err.code)) {
    return { code: err.code, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'failed', message: message.slice(0, 500) || 'the read failed' };
}

/** Runs one part's read; its answer or its refusal, never a throw. */
export async function partResult<T>(read: () => T | Promise<T>): Promise<DetailResult<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    return { ok: false, error: detailErrorOf(err) };
  }
}

/** True for the failures that refuse the whole call rather than one part. */
export function isIdentityFailure(err: unknown): err is DetailFailure {
  return err instanceof DetailFailure && (err.code === 'process-gone' || err.code === 'pid-recycled');
}

export interface FindCollector {
  /** Lower-cased query. */
  readonly needle: string;
  /** True when `name` holds the query. */
  matches(name: string): boolean;
  /** Adds a match; false once the limit is reached (stop searching). */
  add(match: FindMatch): boolean;
  /** True once the limit or the deadline is reached. */
  full(): boolean;
  countUnreadable(): void;
  result(): FindResult;
}

/** One way to bound, match and count a Find Handle or DLL search, for every source. */
export function createFindCollector(query: string, limits: FindLimits, now: () => number = () => performance.now()): FindCollector {
  const started = now();
  const needle = query.toLowerCase();
  const matches: FindMatch[] = [];
  let truncated = false;
  let unreadable = 0;
  const full = (): boolean => {
    if (!truncated && (matches.length >= limits.maxMatches || now() - started > limits.deadlineMs)) truncated = true;
    return truncated;
  };
  return {
    needle,
    matches: (name) => name.toLowerCase().includes(needle),
    add(match) {
      if (full()) return false;
      matches.push(match);
      return !full();
    },
    full,
    countUnreadable: () => void unreadable++,
    result: () => ({ query, matches, truncated, unreadableProcesses: unreadable, durationMs: Math.round(now() - started) }),
  };
}

/** The sentence for a thread action a source cannot do. */
export function unsupportedThreadAction(action: ThreadAction, why: string): DetailFailure {
  return new DetailFailure('unsupported', `${action === 'kill' ? 'Kill' : action === 'suspend' ? 'Suspend' : 'Resume'} of a single thread is not possible here: ${why}`);
}
