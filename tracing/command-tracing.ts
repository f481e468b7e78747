// warmctl's tracing: with the OTEL_* variables asking for traces, each run is one trace whose root
// span is the command (`warmctl apply`, `warmctl warm`...), flushed before the process exits.
import type { Command } from 'commander';
import { SpanKind } from '@opentelemetry/api';
import { readTracingSettings } from '../config/tracing-settings';
import { runningTracing, shutdownTracing, startTracing } from './start-tracing';
import { withSpan } from './with-span';

/** `service.name` of warmctl when OTEL_SERVICE_NAME is unset. */
export const WARMCTL_SERVICE_NAME = 'warmctl';

/** Runs `parse` (the program's parseAsync) inside a root span named after the command that runs; just runs it when tracing is off. */
export async function traceCommand<T>(program: Command, parse: () => Promise<T>): Promise<T> {
  const settings = readTracingSettings();
  if (!settings.traces) return parse();
  // In a process that already traces (warmctl run as a library), its pipeline is flushed, not stopped.
  const ours = runningTracing() === undefined;
  const handle = await startTracing(settings, WARMCTL_SERVICE_NAME);
  try {
    return await withSpan(
      'warmctl',
      {},
      (span) => {
        program.hook('preAction', (_program, action) => {
          const words: string[] = [];
          for (let c: Command | null = action; c && c !== program; c = c.parent) words.unshift(c.name());
          span.updateName(['warmctl', ...words].join(' '));
          span.setAttribute('cache_warmer.command', words.join(' '));
        });
        return parse();
      },
      SpanKind.CLIENT,
    );
  } finally {
    if (ours) await shutdownTracing();
    else await handle?.forceFlush();
  }
}
