/*
 * The outcome of one helper job (a dump, a persist): a promise whose resolve and reject take effect once, the first
 * of the helper's report, its refusal, a broken channel, an exit without a word or a cancel, and ignore the rest.
 * `settled` tells a late handler (the exit grace timer) that the job already has its answer.
 */
export interface Outcome<T, E> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  readonly resolve: (value: T) => void;
  readonly reject: (error: E) => void;
}

export function settleOnce<T, E = unknown>(): Outcome<T, E> {
  let settle!: { resolve: (value: T) => void; reject: (error: E) => void };
  const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  let settled = false;
  return {
    promise,
    get settled() {
      return settled;
    },
    resolve: (value) => {
      if (settled) return;
      settled = true;
      settle.resolve(value);
    },
    reject: (error) => {
      if (settled) return;
      settled = true;
      settle.reject(error);
    },
  };
}
