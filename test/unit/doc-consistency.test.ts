// The docs stay true to the code: every environment variable the product reads, every warmctl
// command and flag, and every benchmark figure's source are checked against README.md and docs/*.md
// (plus examples/README.md, which documents the examples' own variables). Pure: reads files only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../cli/warmctl';
import { actionsUsd, SECONDS_PER_MONTH } from '../../bench/cloud-pricing';

const ROOT = resolve(__dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const DOCS = [
  'README.md',
  'examples/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const docText = new Map(DOCS.map((doc) => [doc, read(doc)]));

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function matches(text: string, pattern: RegExp, group = 1): string[] {
  return [...text.matchAll(pattern)].map((m) => m[group] as string);
}

// ---------------------------------------------------------------------------------------------
// 1. Environment variables.

const ENV_NAME = '([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)';
/**
 * How the code reads a variable: `process.env.NAME` / `env.NAME`, `env['NAME']`, and a helper call
 * whose first or second argument is the name (`intFromEnv(process.env, 'NAME', ..)`,
 * `nonEmpty(env.NAME, 'NAME')`, `positiveEnv('NAME', ..)`), and warmctl's flag table
 * (`variable: 'NAME'`, the variable a flag stands for). A SCREAMING_CASE literal passed to a call is
 * an environment name in this code base; a false hit only asks for one more documented name.
 */
const TS_READS = [
  new RegExp(`\\benv\\.${ENV_NAME}\\b`, 'g'),
  new RegExp(`\\benv\\[\\s*['"]${ENV_NAME}['"]\\s*\\]`, 'g'),
  new RegExp(`\\b\\w+\\(\\s*(?:[\\w.]+\\s*,\\s*)?'${ENV_NAME}'`, 'g'),
  new RegExp(`\\bvariable:\\s*'${ENV_NAME}'`, 'g'),
];
const CODE_DIRS = [
  'config',
  'tracing',
  'worker',
  'cache',
  'client',
  'report',
  'cli',
  'activities',
  'store',
  'core',
  'scripts',
  'examples',
  'bench',
];
/** The tests' own knobs a developer sets (`CW_FUZZ_SEED`, ...); the rest of test/ reads only what its setup set. */
const TEST_KNOB = /^CW_(?!TEST_)/;

/**
 * Read but not for people to set: bench/bench-stack.ts hands these to the floor worker process it
 * spawns (bench/floors/floor-worker.ts); nobody sets them by hand.
 */
const INTERNAL = new Set(['FLOOR_TASK_QUEUE', 'FLOOR_LOGIN_URLS', 'FLOOR_MAX_CACHED_WORKFLOWS']);

/** Variable -> the first file reading it. */
function variablesRead(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (name: string, file: string) => {
    if (!found.has(name) && !INTERNAL.has(name)) found.set(name, file);
  };
  for (const file of CODE_DIRS.flatMap(tsFiles)) {
    const text = read(file);
    for (const pattern of TS_READS) for (const name of matches(text, pattern)) add(name, file);
  }
  for (const file of tsFiles('test').filter((f) => f !== 'test/unit/doc-consistency.test.ts')) {
    const text = read(file);
    for (const pattern of TS_READS)
      for (const name of matches(text, pattern)) if (TEST_KNOB.test(name)) add(name, file);
  }
  // Shell and compose files: `${NAME}`, `${NAME:-default}`, `$NAME`, less what the script assigns
  // itself and the shell's own PWD.
  for (const file of ['scripts/bootstrap.sh', 'docker-compose.yml']) {
    const text = read(file);
    const assigned = new Set([...matches(text, /^\s*([A-Z][A-Z0-9_]*)=/gm), 'PWD']);
    for (const name of matches(text, /\$\{?([A-Z][A-Z0-9_]*)/g)) if (!assigned.has(name)) add(name, file);
  }
  return found;
}

/** `TEMPORAL_*` names @temporalio/envconfig reads (the SDK's, as Temporal's own CLI): read, by the SDK. */
function envconfigNames(): string[] {
  const lib = join(ROOT, 'node_modules/@temporalio/envconfig/lib');
  const js = readdirSync(lib).filter((f) => f.endsWith('.js'));
  return [...new Set(js.flatMap((f) => matches(readFileSync(join(lib, f), 'utf8'), /['"`](TEMPORAL_[A-Z0-9_]+)/g)))];
}

/** Documented: the name inside an inline code span or a fenced code block of some doc. */
function documentedVariables(): Set<string> {
  const names = new Set<string>();
  for (const text of docText.values()) {
    const code = [...matches(text, /```[^\n]*\n([\s\S]*?)```/g), ...matches(text, /`([^`\n]+)`/g)];
    for (const span of code) for (const name of matches(span, new RegExp(`\\b${ENV_NAME}\\b`, 'g'))) names.add(name);
  }
  return names;
}

describe('environment variables', () => {
  test('every variable the code reads is documented as `NAME`', () => {
    const documented = documentedVariables();
    const missing = [...variablesRead()]
      .filter(([name]) => !documented.has(name))
      .map(([name, file]) => `${file} reads ${name}, which no doc names in backticks`);
    expect(missing).toEqual([]);
  });

  test('every WARMING_, TEMPORAL_, REDIS_, OTEL_, BENCH_, BOOTSTRAP_ and CW_ variable a doc names is read', () => {
    const read = new Set(variablesRead().keys());
    const sdk = envconfigNames();
    // envconfig reads every TEMPORAL_GRPC_META_<HEADER> (a gRPC header per variable).
    const isSdks = (name: string) =>
      sdk.includes(name) || (sdk.includes('TEMPORAL_GRPC_META_') && name.startsWith('TEMPORAL_GRPC_META_'));
    const unread: string[] = [];
    for (const [doc, text] of docText) {
      for (const name of new Set(
        matches(text, /\b((?:WARMING|TEMPORAL|REDIS|OTEL|BENCH|BOOTSTRAP|CW)_[A-Z0-9_]*[A-Z0-9])\b/g),
      )) {
        // `CW_TEST_*` is named as a family only: what test/global-setup.ts hands the test files.
        if (!read.has(name) && !isSdks(name) && !name.startsWith('CW_TEST'))
          unread.push(`${doc} names ${name}, which nothing reads`);
      }
    }
    expect(unread).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. warmctl commands and flags.

interface Paragraph {
  text: string;
  /** A line of a fenced code block. */
  fenced: boolean;
}

/**
 * A doc is split into paragraphs: runs of lines between blank lines, except that every line of a
 * fenced code block, every table row and every list item (with its indented paragraphs) is a
 * paragraph of its own (each is one example or one entry).
 */
function paragraphs(text: string): Paragraph[] {
  const out: Paragraph[] = [];
  let current: string[] = [];
  let fenced = false;
  const flush = () => {
    if (current.length) out.push({ text: current.join('\n'), fenced: false });
    current = [];
  };
  for (const line of text.split('\n')) {
    if (line.trimStart().startsWith('```')) {
      flush();
      fenced = !fenced;
    } else if (fenced || line.startsWith('|')) {
      flush();
      out.push({ text: line, fenced });
    } else if (line.trim() === '') {
      flush();
    } else if (
      current.length === 0 &&
      /^\s/.test(line) &&
      out.length > 0 &&
      !(out[out.length - 1] as Paragraph).fenced
    ) {
      // An indented paragraph after a blank line continues the list item above it.
      const item = out.pop() as Paragraph;
      current.push(item.text, line);
    } else {
      if (/^\s*(?:[-*]|\d+\.)\s/.test(line)) flush();
      current.push(line);
    }
  }
  flush();
  return out;
}

const program = buildProgram();
const commands = program.commands.filter((c) => c.name() !== 'help');
const longFlags = (options: readonly Option[]) => options.map((o) => o.long).filter((f): f is string => Boolean(f));
const globalFlags = longFlags(program.options);
/** Global options that take a value, long and short: parsing skips the value after them. */
const globalValueOptions = new Set(
  program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter(Boolean)),
);

interface Invocation {
  /** The word after `warmctl` and its global options, as warmctl's own parser would read it. */
  command: string | undefined;
  /** Every `--flag` after it, up to a shell separator (`&&`, `|`, `;`, `<`, `>`, `#`) or the span's end. */
  flags: string[];
}

/**
 * The warmctl invocations written in code (inline spans and fenced lines): `warmctl` or
 * `warmctl.js` followed by a space. Prose is not parsed: "warmctl's" or "`warmctl` command" are no
 * invocations. Other tools' flags never count, since only what follows `warmctl` is read.
 */
function invocations(paragraph: string, fencedLine: boolean): Invocation[] {
  const spans = fencedLine ? [paragraph] : matches(paragraph, /`([^`]+)`/g);
  const found: Invocation[] = [];
  for (const span of spans) {
    for (const segment of span.split(/\s(?:&&|\|\|?|;|<|>|#)(?:\s|$)/)) {
      const rest = /(?<![\w-])warmctl(?:\.js)?[ \t]+(.*)/.exec(segment)?.[1];
      if (rest === undefined) continue;
      const tokens = rest
        .split(/\s+/)
        .map((t) => t.replace(/^[[(]+|[\]),.]+$/g, ''))
        .filter(Boolean);
      let i = 0;
      while (i < tokens.length && (tokens[i] as string).startsWith('-')) {
        i += globalValueOptions.has((tokens[i] as string).split('=')[0] as string) ? 2 : 1;
      }
      const word = tokens[i];
      const command = word !== undefined && /^[a-z][a-z-]*$/.test(word) ? word : undefined;
      const flags = tokens.filter((t) => /^--[a-z]/.test(t)).map((t) => t.split('=')[0] as string);
      found.push({ command, flags });
    }
  }
  return found;
}

interface DocParagraph {
  doc: string;
  text: string;
  invocations: Invocation[];
}

const docParagraphs: DocParagraph[] = [...docText].flatMap(([doc, text]) =>
  paragraphs(text).map((p) => ({ doc, text: p.text, invocations: invocations(p.text, p.fenced) })),
);

const hasWord = (text: string, word: string) =>
  new RegExp(`(?<![\\w-])${word.replace(/[-]/g, '\\-')}(?![\\w-])`).test(text);

describe('warmctl commands and flags', () => {
  test('every command is shown as `warmctl <command>` in a doc', () => {
    const shown = new Set(docParagraphs.flatMap((p) => p.invocations.map((i) => i.command)));
    const missing = commands
      .map((c) => c.name())
      .filter((name) => !shown.has(name))
      .map((name) => `cli/warmctl.ts has command ${name}, which no doc shows as \`warmctl ${name}\``);
    expect(missing).toEqual([]);
  });

  test("every command's long flag is in a doc paragraph showing that command", () => {
    // Shown with its command: in a paragraph with a `warmctl <command>` invocation, or written
    // `<command> --flag` in a paragraph that mentions warmctl (`warm --tag`, `resume --tag`).
    const missing: string[] = [];
    for (const command of commands as Command[]) {
      const name = command.name();
      for (const flag of longFlags(command.options)) {
        const shown = docParagraphs.some(
          (p) =>
            (p.invocations.some((i) => i.command === name) && hasWord(p.text, flag)) ||
            (p.text.includes('warmctl') && p.text.includes(`${name} ${flag}`)),
        );
        if (!shown) missing.push(`cli/warmctl.ts: warmctl ${name} ${flag} is in no doc`);
      }
    }
    for (const flag of globalFlags) {
      if (!docParagraphs.some((p) => hasWord(p.text, flag)))
        missing.push(`cli/warmctl.ts: warmctl ${flag} is in no doc`);
    }
    expect(missing).toEqual([]);
  });

  test('every `warmctl <command> --flag` a doc writes exists', () => {
    const wrong: string[] = [];
    for (const p of docParagraphs) {
      for (const { command, flags } of p.invocations) {
        const found = commands.find((c) => c.name() === command);
        if (command !== undefined && !found) wrong.push(`${p.doc}: warmctl has no command ${command}`);
        const allowed = new Set([...globalFlags, ...longFlags(found?.options ?? []), '--help']);
        for (const flag of flags) {
          if (!allowed.has(flag))
            wrong.push(`${p.doc}: warmctl ${command ?? ''} has no flag ${flag}`.replace('  ', ' '));
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Benchmark figures name their run.

/** Row names: those in the committed results, and those the bench code builds (`name:` then `unit:`). */
function rowNamePatterns(): RegExp[] {
  const resultFiles = readdirSync(join(ROOT, 'bench/results')).filter((f) => f.endsWith('.json'));
  const names = new Set<string>();
  for (const file of resultFiles) {
    const rows = JSON.parse(read(`bench/results/${file}`)) as unknown;
    const list = Array.isArray(rows) ? rows : ((rows as { rows?: unknown[] }).rows ?? []);
    for (const row of list as Array<{ name?: unknown }>) if (typeof row.name === 'string') names.add(row.name);
  }
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const sources = [...names].map(escape);
  for (const file of tsFiles('bench')) {
    for (const name of matches(read(file), /\bname:\s*['`]([a-z][a-z0-9${}.-]*)['`],\s*\n\s*unit:/g)) {
      sources.push(
        name
          .split(/\$\{[^}]*\}/)
          .map(escape)
          .join('[a-z0-9.]+'),
      );
    }
  }
  return sources.map((source) => new RegExp(`(?<![\\w-])${source}(?![\\w-])`));
}

const RESULT_PATH = /bench\/results\/([\w.-]+)/g;
const DATE = /\b20\d\d-\d\d-\d\d\b/;

describe('benchmark figures', () => {
  const rowPatterns = rowNamePatterns();

  test('every bench/results/ file a doc names exists', () => {
    const missing: string[] = [];
    for (const [doc, text] of docText) {
      for (const file of new Set(matches(text, RESULT_PATH))) {
        // latest.* is what `npm run bench` writes; it is not committed.
        if (!file.startsWith('latest.') && !existsSync(join(ROOT, 'bench/results', file))) {
          missing.push(`${doc} names bench/results/${file}, which does not exist`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  test('every paragraph or table quoting a row with a figure cites a result file or a run date', () => {
    // Cited: a committed bench/results/ file or a date, in the paragraph itself, the one before it
    // (a table's lead-in; each table row is a paragraph, so a table's rows cite through the lead-in
    // above the table) or the heading of its section.
    const uncited: string[] = [];
    for (const [doc, text] of docText) {
      const blocks = tableAware(paragraphs(text));
      let heading = '';
      blocks.forEach((paragraph, i) => {
        const block = paragraph.text;
        if (!paragraph.fenced && block.startsWith('#')) heading = block;
        const row = rowPatterns.find((pattern) => pattern.test(block));
        if (!row) return;
        const figures = block.replace(/`[^`]*`|\]\([^)]*\)/g, '');
        if (!/\d/.test(figures.replace(new RegExp(row.source, 'g'), ''))) return;
        const cites = (t: string) =>
          DATE.test(t) || matches(t, RESULT_PATH).some((f) => existsSync(join(ROOT, 'bench/results', f)));
        if (cites(block) || cites(blocks[i - 1]?.text ?? '') || cites(heading)) return;
        const quoted = block.match(row)?.[0] as string;
        uncited.push(`${doc}: "${firstLine(block)}" quotes ${quoted} and cites no bench/results/ file or run date`);
      });
    }
    expect(uncited).toEqual([]);
  });
});

interface ResultRow {
  name: string;
  value: number;
  baselineValue: number | null;
  ratio: number | null;
  params: Record<string, unknown>;
}

function resultRows(file: string): Map<string, ResultRow> {
  const rows = JSON.parse(read(`bench/results/${file}`)) as ResultRow[];
  return new Map(rows.map((row) => [row.name, row]));
}

/** A `## heading` section of a doc, up to the next heading of level 2 or above. */
function sections(text: string): { heading: string; body: string }[] {
  return text
    .split(/^(?=#{1,2} )/m)
    .map((part) => ({ heading: part.split('\n')[0] as string, body: part }))
    .filter((part) => part.heading.startsWith('#'));
}

/** The first number of a table cell as written (`3,572 ms [3,540-3,853]` -> 3572), or null for `-`. */
function cellNumber(cell: string): number | null {
  const found = /-?\d[\d,]*(?:\.\d+)?/.exec(cell.trim() === '-' ? '' : cell)?.[0];
  return found === undefined ? null : Number(found.replace(/,/g, ''));
}

/** Written as the result rounded for a table: within half a unit of its third significant digit. */
function agrees(written: number | null, measured: number | null): boolean {
  if (written === null || measured === null) return written === measured;
  const digit = measured === 0 ? 0.01 : 10 ** (Math.floor(Math.log10(Math.abs(measured))) - 2);
  return Math.abs(written - measured) <= Math.max(digit / 2, 0.005) * 1.0001;
}

describe('benchmark figures are the committed results', () => {
  test('each "Results (full run, DATE[, PART])" table has the value, baseline value and ratio of full-run-DATE[-PART].json', () => {
    const wrong: string[] = [];
    let tables = 0;
    for (const [doc, text] of docText) {
      for (const { heading, body } of sections(text)) {
        // A second full run on one day names its part of the day: "2026-12-07, evening".
        const [, day, part] = /^## Results \(full run, (20\d\d-\d\d-\d\d)(?:, ([a-z]+))?\)/.exec(heading) ?? [];
        if (!day) continue;
        const date = part ? `${day}-${part}` : day;
        const file = `full-run-${date}.json`;
        if (!existsSync(join(ROOT, 'bench/results', file))) {
          wrong.push(`${doc}: "${heading}" has no bench/results/${file}`);
          continue;
        }
        tables++;
        const rows = resultRows(file);
        const shown = new Set<string>();
        for (const line of body.split('\n').filter((l) => l.startsWith('|'))) {
          const cells = line.split('|').slice(1, -1);
          const row = rows.get((cells[0] ?? '').trim());
          if (!row) continue;
          shown.add(row.name);
          const checks: [string, number | null, number | null][] = [
            ['value', cellNumber(cells[1] ?? ''), row.value],
            ['baseline value', cellNumber(cells[3] ?? ''), row.baselineValue],
            ['ratio', cellNumber(cells[4] ?? ''), row.ratio],
          ];
          for (const [what, written, measured] of checks) {
            if (!agrees(written, measured))
              wrong.push(`${doc} (${date}): ${row.name} ${what} is ${written}, ${file} has ${measured}`);
          }
        }
        for (const name of rows.keys()) if (!shown.has(name)) wrong.push(`${doc} (${date}): no row for ${name}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(tables).toBeGreaterThan(0);
  });

  test("PERFORMANCE.md's opening figures are computed from the 2026-12-02 results", () => {
    const section = sections(docText.get('docs/PERFORMANCE.md') as string).find(
      (s) => s.heading === '## How much one worker takes',
    )?.body as string;
    expect(section).toContain('full-run-2026-12-02.json');
    const full = resultRows('full-run-2026-12-02.json');
    const rerun = resultRows('login-rerun-2026-12-02.json');
    const param = <T>(rows: Map<string, ResultRow>, name: string, key: string) => rows.get(name)?.params[key] as T;
    const span = (values: number[]) => [Math.min(...values), Math.max(...values)] as const;
    const fixed = (n: number) => n.toFixed(1);
    const toFive = (n: number) => Math.round(n / 5) * 5;

    const [warmMin, warmMax] = span(
      param<{ worker: number }[]>(full, 'warm-cpu-ms', 'cpuMsPerWarm').map((c) => c.worker),
    );
    const scaleWarm = param<{ worker: number }>(full, 'scale-tasks-warms-per-second', 'cpuMsPerWarm').worker;
    const [loginMin, loginMax] = span(
      [full, rerun].flatMap((rows) =>
        param<{ worker: number }[]>(rows, 'login-cpu-ms', 'cpuMsPerLogin').map((c) => c.worker),
      ),
    );
    const rss = full.get('scale-tasks-worker-rss') as ResultRow;
    const tasks = param<number>(full, 'scale-tasks-worker-rss', 'tasks');
    const perThousand = Math.round(((rss.value - (rss.baselineValue as number)) / tasks) * 100) * 10;

    for (const figure of [
      `${fixed(warmMin)}-${fixed(warmMax)} ms of worker CPU per forced warm`,
      `${toFive(1000 / warmMax)}-${toFive(1000 / warmMin)} warms/s`,
      `${fixed(scaleWarm)} ms`,
      `${Math.round(1000 / scaleWarm)} warms/s`,
      `${fixed(loginMin)}-${fixed(loginMax)} ms of worker CPU per login`,
      `${Math.round(1000 / loginMax)}-${Math.round(1000 / loginMin)} logins/s`,
      `${perThousand} MiB per 1,000 tasks`,
      `${Math.round(rss.value).toLocaleString('en-US').replace(',', ' ')} MiB peak`,
      `${Math.round(rss.baselineValue as number)} MiB idle`,
    ]) {
      expect(section.replace(/\*\*/g, '')).toContain(figure);
    }
  });
});

describe("PERFORMANCE.md's opening cost table", () => {
  // Drawn from the full run of 2026-12-07 (evening), actions, capacity and memory alike: every cell is
  // recomputed here and must be in the table's row.
  const FULL = 'full-run-2026-12-07-evening.json';
  const section = sections(docText.get('docs/PERFORMANCE.md') as string).find(
    (s) => s.heading === '## What it costs a month',
  )?.body as string;
  const full = resultRows(FULL);
  const value = (name: string) => (full.get(name) as ResultRow).value;
  const warmActions = value('warm-actions');
  const loginActions = value('login-actions');
  const warmsPerCore = value('warm-capacity-per-core');
  const loginsPerCore = value('login-capacity-per-core');
  // Memory: the idle worker plus each cached task, up to the peak with the shipped bounded cache.
  const rss = full.get('bounded-memory-worker-rss') as ResultRow;
  const cachedPhase = (rss.params.phases as { cached: { idleRssMiB: number } }).cached;
  const idleMiB = Math.round(cachedPhase.idleRssMiB);
  const mibPerThousand = Math.round(
    (((rss.baselineValue as number) - cachedPhase.idleRssMiB) / (rss.params.tasks as number)) * 1000,
  );
  const boundedMiB = rss.value;

  const millions = (n: number) => {
    const m = n / 1e6;
    return `${m >= 100 ? Math.round(m).toLocaleString('en-US') : m.toPrecision(3)} M`;
  };
  const dollars = (actions: number) => {
    const usd = actionsUsd(actions);
    return usd === undefined ? 'Sales’ price (over 200 M)' : `$${Math.round(usd).toLocaleString('en-US')}`;
  };
  const cores = (perSecond: number, perCore: number) => (perSecond / perCore).toPrecision(2);
  const memory = (tasks: number) => {
    const mib = Math.min(idleMiB + (mibPerThousand * tasks) / 1000, boundedMiB);
    return mib < 1024 ? `${Math.round(mib)} MiB` : `${(mib / 1024).toFixed(1)} GiB`;
  };
  const taskRow = (tasks: number) => {
    const warmsPerSecond = tasks / 3600; // the shipped interval: 60 minutes
    const actions = warmsPerSecond * SECONDS_PER_MONTH * warmActions;
    return [
      `${tasks.toLocaleString('en-US')} tasks`,
      millions(actions),
      dollars(actions),
      cores(warmsPerSecond, warmsPerCore),
      memory(tasks),
    ];
  };
  const loginRow = (label: string, perSecond: number) => {
    const actions = perSecond * SECONDS_PER_MONTH * loginActions;
    return [label, millions(actions), dollars(actions), cores(perSecond, loginsPerCore)];
  };
  const expected = [
    taskRow(1_000),
    taskRow(10_000),
    taskRow(100_000),
    loginRow('1,000,000 logins a month', 1e6 / SECONDS_PER_MONTH),
    loginRow('100 logins/s all month', 100),
  ];

  test('cites its result files and the price list', () => {
    expect(section).toBeDefined();
    expect(section).toContain(FULL);
    expect(section).toContain('https://docs.temporal.io/cloud/pricing');
    expect(section).toContain('https://docs.temporal.io/cloud/actions');
    // It opens the doc: no other section before it.
    expect(sections(docText.get('docs/PERFORMANCE.md') as string)[1]?.heading).toBe('## What it costs a month');
  });

  test.each(expected.map((cells) => [cells[0] as string, cells]))(
    'the %s row is computed from the results',
    (_label, cells) => {
      const line = section.split('\n').find((l) => l.startsWith(`| ${cells[0]} `));
      expect(line).toBeDefined();
      const written = (line as string)
        .split('|')
        .slice(1, -1)
        .map((c) => c.replace(/\*\*/g, '').trim());
      for (const cell of cells.slice(1)) expect(written).toContain(cell);
    },
  );

  test('states the actions per warm and per login and the minimum of each', () => {
    const text = section.replace(/\*\*/g, '').replace(/\s+/g, ' ');
    const minimum = (name: string) => (full.get(name) as ResultRow).baselineValue as number;
    expect(text).toContain(
      `${warmActions} actions a scheduled warm (the minimum the shape allows: ${minimum('warm-actions')})`,
    );
    expect(text).toContain(`${loginActions} a login (minimum ${minimum('login-actions')})`);
    expect(text).toContain(`${Math.round(warmsPerCore)} scheduled warms/s`);
    expect(text).toContain(`${Math.round(loginsPerCore)} logins/s per core`);
    expect(text).toContain(`${mibPerThousand} MiB per 1,000 cached task workflows`);
    expect(text).toContain(`at most ${Math.round(boundedMiB).toLocaleString('en-US')} MiB`);
  });
});

/** The paragraphs with each table's rows joined back into one block (a table quotes one run). */
function tableAware(list: Paragraph[]): Paragraph[] {
  const out: Paragraph[] = [];
  for (const p of list) {
    const last = out[out.length - 1];
    const isRow = (q: Paragraph) => !q.fenced && q.text.startsWith('|');
    if (last && isRow(p) && isRow(last)) out[out.length - 1] = { text: `${last.text}\n${p.text}`, fenced: false };
    else out.push(p);
  }
  return out;
}

function firstLine(block: string): string {
  const line = block.split('\n')[0] as string;
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

test('the scan sees the docs and the code it checks', () => {
  // A scan that silently found nothing would pass every test above.
  expect(variablesRead().size).toBeGreaterThan(30);
  expect(docParagraphs.filter((p) => p.invocations.length > 0).length).toBeGreaterThan(20);
  expect(relative(ROOT, join(ROOT, DOCS[0] as string))).toBe('README.md');
});
