// The ARC paper's OLTP trace (Megiddo & Modha, "ARC: A Self-Tuning, Low Overhead Replacement
// Cache", USENIX FAST '03): `start_block count ignore request_no` per line; each request reads
// blocks start..start+count-1. Parsed into dense key ids for the simulator.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Trace {
  /** Dense key id of each read, in order. */
  reads: Int32Array;
  /** Distinct keys (ids are 0..keyCount-1). */
  keyCount: number;
  /** Lines (requests) parsed. */
  requests: number;
}

/** Parses the text of a trace; a malformed line throws naming its number. */
export function parseTrace(text: string): Trace {
  const ids = new Map<number, number>();
  let reads = new Int32Array(1 << 16);
  let length = 0;
  let requests = 0;
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const [startText, countText] = trimmed.split(/\s+/, 2);
    const start = Number(startText);
    const count = Number(countText);
    if (!Number.isInteger(start) || start < 0 || !Number.isInteger(count) || count < 1) {
      throw new Error(`trace line ${lineNo}: expected "start_block count ...", got "${trimmed.slice(0, 60)}"`);
    }
    requests++;
    for (let block = start; block < start + count; block++) {
      let id = ids.get(block);
      if (id === undefined) {
        id = ids.size;
        ids.set(block, id);
      }
      if (length === reads.length) {
        const grown = new Int32Array(reads.length * 2);
        grown.set(reads);
        reads = grown;
      }
      reads[length++] = id;
    }
  }
  return { reads: reads.slice(0, length), keyCount: ids.size, requests };
}

/** Where the trace is: BENCH_OLTP_TRACE, else ../shared/data beside the project, else /work/shared/data. */
export function findOltpTrace(projectRoot: string): string | undefined {
  const candidates = [
    process.env.BENCH_OLTP_TRACE,
    resolve(projectRoot, '../shared/data/arc-OLTP.lis.zst'),
    '/work/shared/data/arc-OLTP.lis.zst',
  ];
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

/** Reads and decompresses the zstd trace (fzstd: pure JS, Node 20's zlib has no zstd). */
export async function loadOltpTrace(path: string): Promise<Trace> {
  const { decompress } = await import('fzstd');
  const text = new TextDecoder().decode(decompress(readFileSync(path)));
  return parseTrace(text);
}
