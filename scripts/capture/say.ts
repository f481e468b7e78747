// The capture's progress line on stderr, prefixed with the script's name.
export function say(line: string): void {
  process.stderr.write(`capture-histories: ${line}\n`);
}
