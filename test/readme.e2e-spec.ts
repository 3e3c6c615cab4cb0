import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../tools/kafka/paths.js';

/**
 * Every ```ts block of README.md, as a user pastes it: a block whose first line is a comment
 * naming a file (`// orders.service.ts`) is written under that name, so that blocks may import
 * one another; any other block is a file of its own. They are compiled together with the
 * project's tsc against the built package (`dist/`, as `npm install nestjs-kafka-producer`
 * would give it), with the compiler settings of a NestJS 12 (ESM) app.
 */
function readmeSnippets(readme: string): Array<{ file: string; code: string }> {
  const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  return blocks.map((code, i) => {
    const named = /^\/\/ ([\w.-]+\.ts)\b/.exec(code);
    return { file: named ? named[1] : `snippet-${i + 1}.ts`, code };
  });
}

describe('README', () => {
  const root = repoRoot();
  const dir = join(root, '.build', 'readme-snippets');

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every TypeScript snippet compiles against the built package', () => {
    expect(existsSync(join(root, 'dist', 'index.d.ts'))).toBe(true); // `npm test` builds first
    const snippets = readmeSnippets(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(snippets.length).toBeGreaterThanOrEqual(8);
    expect(new Set(snippets.map((s) => s.file)).size).toBe(snippets.length);

    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(root, join(dir, 'node_modules', 'nestjs-kafka-producer'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    for (const { file, code } of snippets) writeFileSync(join(dir, file), code);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023'],
          types: ['node'],
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          skipLibCheck: true,
          noEmit: true,
        },
        include: ['*.ts'],
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], {
        encoding: 'utf8',
      });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  });
});
