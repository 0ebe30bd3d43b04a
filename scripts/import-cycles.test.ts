/*
 * No two modules of src-shared, src-main or src-renderer import each other, directly or round a longer loop.
 * Every relative import counts, `import type` and `export … from` and import() included: a type-only loop is
 * still two files that cannot be read, moved or split apart (request-handlers.ts and dump-handlers.ts were one).
 * The lint zones say which folder may import which; this says the graph inside them stays a tree of layers.
 * eslint-plugin-import is not installed, so the graph is read here with TypeScript's own import scanner.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');
const SOURCE_FOLDERS = ['src-shared', 'src-main', 'src-renderer'];
const SOURCE_FILE = /\.(?:ts|tsx|mts|cts)$/;

type Graph = ReadonlyMap<string, readonly string[]>;

function listSources(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) out.push(...listSources(path));
    else if (SOURCE_FILE.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The file a relative specifier names, as the bundler and tsc resolve it; null for packages and non-code (css, html). */
function resolveRelative(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier);
  const candidates = [base, ...['.ts', '.tsx', '.mts', '.cts'].map((ext) => base + ext), join(base, 'index.ts'), join(base, 'index.tsx')];
  return candidates.find((path) => SOURCE_FILE.test(path) && existsSync(path) && statSync(path).isFile()) ?? null;
}

function readImportGraph(files: readonly string[]): Graph {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    // preProcessFile reads import/export-from/import() specifiers, type-only ones too, and skips comments and strings.
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles.map((i) => resolveRelative(file, i.fileName)).filter((t): t is string => t !== null);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every loop of the graph as one strongly connected component (Tarjan), each listed as a path that closes on itself. */
function findCycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(loopThrough(graph, new Set(component), node));
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** One concrete loop inside a component, start → … → start, so the report names the imports to undo. */
function loopThrough(graph: Graph, component: ReadonlySet<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const to of graph.get(node) ?? []) {
      if (!component.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

describe('import cycles', () => {
  it('finds a loop, a longer loop and a self-import, and nothing in a layered graph', () => {
    const graph = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges));
    expect(findCycles(graph({ a: ['b'], b: ['c'], c: [] }))).toEqual([]);
    // Each loop starts at the first of its files the walk reached.
    expect(findCycles(graph({ a: ['b'], b: ['a'] }))).toEqual([['a', 'b', 'a']]);
    expect(findCycles(graph({ x: ['a'], a: ['b'], b: ['c'], c: ['a'], d: ['d'] }))).toEqual([['a', 'b', 'c', 'a'], ['d', 'd']]);
    expect(findCycles(graph({ a: ['b', 'c'], b: ['d'], c: ['d'], d: ['a'] }))).toEqual([['a', 'b', 'd', 'a']]);
  });

  it('reads type-only imports, export-from and import() as edges, and resolves folders and extensions', () => {
    const from = join(ROOT, 'src-main', 'host', 'request-handlers.ts');
    expect(resolveRelative(from, './request-context')).toBe(join(ROOT, 'src-main', 'host', 'request-context.ts'));
    expect(resolveRelative(from, 'zod')).toBeNull();
    const { importedFiles } = ts.preProcessFile(
      "import type { A } from './a';\nexport { B } from './b';\nconst c = () => import('./c');\n// import { D } from './d';\n",
      true,
      true,
    );
    expect(importedFiles.map((i) => i.fileName)).toEqual(['./a', './b', './c']);
  });

  it('src-shared, src-main and src-renderer have none', () => {
    const files = SOURCE_FOLDERS.flatMap((folder) => listSources(join(ROOT, folder)));
    const graph = readImportGraph(files);
    // A floor, so that a scanner that silently reads nothing cannot pass.
    expect(files.length).toBeGreaterThan(200);
    expect([...graph.values()].reduce((n, targets) => n + targets.length, 0)).toBeGreaterThan(500);
    const cycles = findCycles(graph).map((loop) => loop.map((file) => relative(ROOT, file)).join(' → '));
    expect(cycles).toEqual([]);
  });
});
