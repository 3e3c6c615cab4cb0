import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shape of lib/ that docs/architecture.md describes: no import cycles between its folders
 * (each root file counts as a node of its own), kafkajs internals only under
 * transport/kafkajs, and no folder reaching up into the Nest facade.
 */
const LIB = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.(spec|contract)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** A file's node: its folder under lib/, or `root:<file>` for a file directly in lib/. */
function nodeOf(file: string): string {
  const rel = relative(LIB, file);
  const dir = dirname(rel);
  return dir === '.' ? `root:${rel}` : dir;
}

/** Relative imports of a file (`import … from './x.js'`, `export … from`, `import('./x.js')`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
    (m) => m[1],
  );
  return specifiers.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources(LIB)) {
    const from = nodeOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const target of importsOf(file)) {
      const to = nodeOf(target);
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** Every cycle's nodes (strongly connected components of more than one node, Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indexOf.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indexOf.get(next)!));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let top: string;
      do {
        top = stack.pop()!;
        onStack.delete(top);
        component.push(top);
      } while (top !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indexOf.has(node)) visit(node);
  return found;
}

describe('the layers of lib/', () => {
  it('has no import cycles between folders', () => {
    const graph = folderGraph();
    expect(graph.size).toBeGreaterThan(10);
    expect(cycles(graph)).toEqual([]);
  });

  it('touches kafkajs internals only under transport/kafkajs', () => {
    const outside = sources(LIB)
      .filter((file) => readFileSync(file, 'utf8').includes('kafkajs/src/'))
      .map((file) => relative(LIB, file))
      .filter((file) => !file.startsWith(join('transport', 'kafkajs')));
    expect(outside).toEqual([]);
  });

  it('no folder imports the Nest facade or the module', () => {
    const facade = new Set(['root:producer.service.ts', 'root:kafka-producer.module.ts']);
    const into = [...folderGraph()]
      .filter(([from]) => !from.startsWith('root:'))
      .flatMap(([from, to]) => [...to].filter((t) => facade.has(t)).map((t) => `${from} → ${t}`));
    expect(into).toEqual([]);
  });
});
