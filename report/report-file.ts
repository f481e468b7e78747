// Writes the HTML report file for `warmctl report`: checked before history is read (so a bad path
// fails at once) and replaced atomically (so a page being served is never half-written).
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Throws one line naming the file when it cannot be written: missing directory, a directory, no permission. */
export function checkReportPath(file: string): void {
  const path = resolve(file);
  const directory = dirname(path);
  try {
    if (!statSync(directory).isDirectory()) throw new Error(`${directory} is not a directory`);
    accessSync(directory, constants.W_OK);
  } catch (err) {
    throw new Error(`cannot write ${file}: ${describe(err, `directory ${directory} does not exist`)}`);
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // Not there yet: it will be created.
  }
  if (isDirectory) throw new Error(`cannot write ${file}: it is a directory`);
}

/** Writes `content` to `file` through a temporary file in the same directory and a rename. */
export function writeReportFile(file: string, content: string): void {
  const path = resolve(file);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, content, { encoding: 'utf8', mode: 0o644 });
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw new Error(`cannot write ${file}: ${describe(err, 'no such directory')}`);
  }
}

function describe(err: unknown, notFound: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return notFound;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return err instanceof Error ? (err.message.split('\n')[0] ?? String(err)) : String(err);
}
