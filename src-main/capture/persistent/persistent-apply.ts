/*
 * Carries out a persistent-capture plan (persistent-plan.ts) on a registry: reads the keys of one image, plans,
 * applies the ops in order and, when one fails or a key it expected to create has appeared meanwhile, takes away
 * what it had written by planning a removal from a fresh read. Runs where HKLM may be written: the elevated helper
 * (helper-persist-job.ts) or an elevated CLI. The registry is a port, so the tests run it on an in-memory one and
 * the Wine suite on the real advapi32 (win32-registry.ts).
 */
import {
  describeOurs, keyOf, LOCAL_DUMPS_KEY, OWNED, planInstall, planRemove, SILENT_EXIT_KEY,
  type PersistentEntry, type PersistentRequest, type PersistentState, type RegKeyState, type RegOp, type RegValue,
} from './persistent-plan';

/** HKLM as the persistent capture needs it; paths are below HKEY_LOCAL_MACHINE, 64-bit view. Errors throw. */
export interface RegistryPort {
  /** The key's values and subkey names, or null when it does not exist. */
  readKey(path: string): RegKeyState | null;
  /** Creates the key (and missing parents) or opens it: whether it was created now. */
  createKey(path: string): { created: boolean };
  setValue(path: string, name: string, value: RegValue): void;
  deleteValue(path: string, name: string): void;
  /** Deletes a key without subkeys. */
  deleteKey(path: string): void;
}

export type PersistAction =
  | { action: 'add'; request: PersistentRequest }
  | { action: 'remove'; image: string }
  | { action: 'list' };

/** What an action did: Procscope's entries afterwards (add: the image's; list: all; remove: none left) and sentences. */
export interface PersistReport {
  action: PersistAction['action'];
  entries: PersistentEntry[];
  /** The keys written or deleted, for the person to see (and for an EDR console to match). */
  changedKeys: string[];
  notes: string[];
}

export class PersistRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersistRefusal';
  }
}

export function readPersistentState(reg: RegistryPort, image: string): PersistentState {
  return {
    ifeo: reg.readKey(keyOf.ifeo(image)),
    silentExitParent: reg.readKey(SILENT_EXIT_KEY),
    silentExit: reg.readKey(keyOf.silentExit(image)),
    localDumpsParent: reg.readKey(LOCAL_DUMPS_KEY),
    localDumps: reg.readKey(keyOf.localDumps(image)),
  };
}

function applyOps(reg: RegistryPort, ops: readonly RegOp[]): void {
  for (const op of ops) {
    switch (op.op) {
      case 'create-key': {
        const { created } = reg.createKey(op.key);
        // Someone created it between our read and now: it is theirs, and nothing more is written into it.
        if (op.mustBeNew && !created) throw new PersistRefusal(`${op.key} appeared while Procscope was setting up, so it is left to whoever created it.`);
        break;
      }
      case 'set':
        reg.setValue(op.key, op.name, op.value);
        break;
      case 'delete-value':
        reg.deleteValue(op.key, op.name);
        break;
      case 'delete-key':
        reg.deleteKey(op.key);
        break;
    }
  }
}

const changed = (ops: readonly RegOp[]): string[] => [...new Set(ops.map((o) => `HKLM\\${o.key}`))];

/** Runs one action. Refusals throw PersistRefusal with a sentence; registry failures throw as they come. */
export function runPersistAction(reg: RegistryPort, action: PersistAction): PersistReport {
  if (action.action === 'list') return { action: 'list', entries: listOurs(reg), changedKeys: [], notes: [] };
  if (action.action === 'remove') {
    const plan = planRemove(action.image, readPersistentState(reg, action.image.toLowerCase()));
    if (!plan.ok) throw new PersistRefusal(plan.error);
    applyOps(reg, plan.ops);
    return { action: 'remove', entries: [], changedKeys: changed(plan.ops), notes: plan.notes };
  }
  const image = action.request.image.toLowerCase();
  const plan = planInstall(action.request, readPersistentState(reg, image));
  if (!plan.ok) throw new PersistRefusal(plan.error);
  try {
    applyOps(reg, plan.ops);
  } catch (err) {
    // Whatever got written carries our marker (it is written first in each key): a removal finds exactly that.
    const undo = planRemove(image, readPersistentState(reg, image));
    let undone = 'and what had been written was removed again';
    try {
      if (undo.ok) applyOps(reg, undo.ops);
    } catch {
      undone = `and removing what had been written failed too: run \`procscope persist remove ${image}\``;
    }
    const why = err instanceof Error ? err.message : String(err);
    throw new PersistRefusal(`Setting up persistent capture for ${image} failed (${why}), ${undone}.`);
  }
  return { action: 'add', entries: describeOurs(image, readPersistentState(reg, image)), changedKeys: changed(plan.ops), notes: plan.notes };
}

/** Every image with a Procscope-marked LocalDumps or SilentProcessExit key. */
function listOurs(reg: RegistryPort): PersistentEntry[] {
  const images = new Set<string>();
  for (const parent of [LOCAL_DUMPS_KEY, SILENT_EXIT_KEY]) {
    for (const sub of reg.readKey(parent)?.subkeys ?? []) {
      const key = reg.readKey(`${parent}\\${sub}`);
      if (key?.values.get(OWNED.toLowerCase())) images.add(sub.toLowerCase());
    }
  }
  return [...images].sort().flatMap((image) => describeOurs(image, readPersistentState(reg, image)));
}
