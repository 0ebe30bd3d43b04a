/**
 * An in-memory RegistryPort with the registry's rules that the persistent capture relies on: names ignore case,
 * creating a key creates its parents, deleting a key with subkeys fails (as RegDeleteKeyExW does), and every write
 * is logged so a test can say what was touched. `failOn` makes one write fail, for the roll-back path.
 */
import type { RegistryPort } from '../persistent-apply';
import type { RegKeyState, RegValue } from '../persistent-plan';

interface Key {
  name: string;
  values: Map<string, RegValue & { name: string }>;
}

export interface MemoryRegistry extends RegistryPort {
  /** Writes done, as 'create K', 'set K\\N', 'delete-value K\\N', 'delete-key K'. */
  log: string[];
  /** Makes the next write whose log line contains this text throw. */
  failOn: string | null;
  /** Runs before each write, with its log line: lets a test act between the read and the write (a racing creator). */
  beforeWrite: ((line: string) => void) | null;
  has(path: string): boolean;
  get(path: string, name: string): RegValue | undefined;
  /** Sets a value without logging it: someone else's setting. */
  seed(path: string, name: string, value: RegValue): void;
  seedKey(path: string): void;
}

export function createMemoryRegistry(): MemoryRegistry {
  const keys = new Map<string, Key>();
  const norm = (p: string): string => p.toLowerCase();
  const ensure = (path: string): boolean => {
    const parts = path.split('\\');
    let created = false;
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('\\');
      if (!keys.has(norm(p))) {
        keys.set(norm(p), { name: parts[i - 1]!, values: new Map() });
        created = i === parts.length;
      }
    }
    return created;
  };
  const subkeysOf = (path: string): string[] => {
    const prefix = `${norm(path)}\\`;
    return [...keys.entries()].filter(([k]) => k.startsWith(prefix) && !k.slice(prefix.length).includes('\\')).map(([, v]) => v.name);
  };
  const mustExist = (path: string): Key => {
    const key = keys.get(norm(path));
    if (!key) throw new Error(`ERROR_FILE_NOT_FOUND: ${path}`);
    return key;
  };
  const reg: MemoryRegistry = {
    log: [],
    failOn: null,
    beforeWrite: null,
    has: (path) => keys.has(norm(path)),
    get: (path, name) => keys.get(norm(path))?.values.get(name.toLowerCase()),
    seed(path, name, value) {
      ensure(path);
      mustExist(path).values.set(name.toLowerCase(), { ...value, name });
    },
    seedKey: (path) => void ensure(path),
    readKey(path): RegKeyState | null {
      const key = keys.get(norm(path));
      return key ? { values: new Map(key.values), subkeys: subkeysOf(path) } : null;
    },
    createKey(path) {
      write(`create ${path}`);
      return { created: ensure(path) };
    },
    setValue(path, name, value) {
      write(`set ${path}\\${name}`);
      mustExist(path).values.set(name.toLowerCase(), { ...value, name });
    },
    deleteValue(path, name) {
      write(`delete-value ${path}\\${name}`);
      if (!mustExist(path).values.delete(name.toLowerCase())) throw new Error(`ERROR_FILE_NOT_FOUND: ${path}\\${name}`);
    },
    deleteKey(path) {
      write(`delete-key ${path}`);
      mustExist(path);
      if (subkeysOf(path).length) throw new Error(`ERROR_ACCESS_DENIED: ${path} has subkeys`);
      keys.delete(norm(path));
    },
  };
  function write(line: string): void {
    reg.beforeWrite?.(line);
    if (reg.failOn && line.includes(reg.failOn)) {
      reg.failOn = null;
      throw new Error(`injected failure at ${line}`);
    }
    reg.log.push(line);
  }
  return reg;
}
