// Lints probe files written into the tree for one run of ESLint's CLI (in a child process, as
// `npm run lint` runs it, and because it loads its config by dynamic import), then removes them:
// how the lint tests prove a rule fails what it should and passes what it should.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

export interface LintMessage {
  ruleId: string;
  message: string;
}

/** Writes each `path -> source` (absolute paths), lints them all, removes them; each file's messages. */
export function lintProbes(files: Record<string, string>): Record<string, LintMessage[]> {
  const paths = Object.keys(files);
  try {
    for (const path of paths) writeFileSync(path, files[path] as string);
    const eslint = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', '--no-warn-ignored', ...paths],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (eslint.status !== 0 && eslint.status !== 1) throw new Error(`eslint failed: ${eslint.stderr}`);
    const results = JSON.parse(eslint.stdout) as {
      filePath: string;
      messages: { ruleId: string | null; message: string }[];
    }[];
    return Object.fromEntries(
      paths.map((path) => {
        const result = results.find((r) => r.filePath === path);
        if (!result) throw new Error(`eslint did not lint ${path}`);
        return [path, result.messages.map((m) => ({ ruleId: m.ruleId ?? '', message: m.message }))];
      }),
    );
  } finally {
    for (const path of paths) rmSync(path, { force: true });
  }
}
