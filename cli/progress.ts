// Progress of long warmctl commands (apply of many tasks, warm by tag, stats and report over many
// histories): one line on stderr, redrawn in place, only when stderr is a terminal, so pipes,
// files, CI logs and `--json` consumers never see it.

export interface Progress {
  /** `done` of `total` items so far. */
  update(done: number, total: number): void;
  /** Clears the line. */
  end(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Redraws at most every `intervalMs` (default 100) so a fast loop does not flood the terminal. */
export function createProgress(
  label: string,
  stream: ProgressStream = process.stderr,
  intervalMs = 100,
  now: () => number = Date.now,
): Progress {
  if (!stream.isTTY) return { update: () => undefined, end: () => undefined };
  let lastDrawMs = -Infinity;
  let drawn = false;
  return {
    update(done, total) {
      const at = now();
      if (done < total && at - lastDrawMs < intervalMs) return;
      lastDrawMs = at;
      drawn = true;
      stream.write(`\r\x1b[K${label}: ${done}/${total}`);
    },
    end() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
