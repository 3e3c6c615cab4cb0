import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { repoRoot } from '../../tools/kafka/paths.js';

/**
 * Runs a TypeScript script of this repository as a separate `node` process (an app instance
 * that a test can SIGKILL). The script and lib/ are transpiled file by file (types erased, no
 * type check: the repo is `isolatedModules`, as ts-jest compiles it) into a fresh folder under
 * .build/, so that their imports of node_modules resolve as in the repo; no build step and no
 * TypeScript loader are needed.
 */
export class ChildScript {
  private constructor(
    /** The transpiled script, to run with `node`. */
    readonly file: string,
    private readonly folder: string,
  ) {}

  /** Transpiles lib/ and `script` (a path relative to the repo root, e.g. `test/support/x.ts`). */
  static async build(script: string): Promise<ChildScript> {
    const { default: ts } = await import('typescript');
    const root = repoRoot();
    mkdirSync(join(root, '.build'), { recursive: true });
    const folder = mkdtempSync(join(root, '.build', 'child-script-'));
    const sources = [...tsFiles(join(root, 'lib')), join(root, script)];
    for (const source of sources) {
      const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
        fileName: source,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          useDefineForClassFields: false,
          verbatimModuleSyntax: false,
        },
      });
      const out = join(folder, relative(root, source)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, outputText);
    }
    return new ChildScript(join(folder, script.replace(/\.ts$/, '.js')), folder);
  }

  /** Starts `node <script>` with `env` added; its output is kept in `output.text`. */
  spawn(env: Record<string, string>): { child: ChildProcess; output: { text: string } } {
    const child = spawn(process.execPath, [this.file], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    const keep = (chunk: Buffer) => {
      output.text += chunk.toString('utf8');
      if (output.text.length > 256 * 1024) output.text = output.text.slice(-128 * 1024);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return { child, output };
  }

  /** Deletes the transpiled files. */
  remove(): void {
    rmSync(this.folder, { recursive: true, force: true });
  }
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    const source = entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts');
    return source && !/\.(spec|contract)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** Resolves once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
