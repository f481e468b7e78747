// What every workload gets: the stack, a Temporal client, a plain Redis connection, the mode.
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { TemporalPersistence } from './bench-report';
import type { BenchStack, WorkerLimits } from './bench-stack';

export interface BenchContext {
  stack: BenchStack;
  client: Client;
  /** The bench's own plain connection (setup, checks, keyspace events are separate). */
  redis: Redis;
  quick: boolean;
  persistence: TemporalPersistence;
  /** The limits the running worker was started with; baselines use the same. */
  limits: WorkerLimits;
  /** The worker process serving the task queue. */
  workerPid: number;
  log(message: string): void;
}

/** Runs `a` and `b` `repeats` times, alternating which goes first so drift hits both alike. */
export async function alternate(
  repeats: number,
  a: (repeat: number) => Promise<void>,
  b: (repeat: number) => Promise<void>,
): Promise<void> {
  for (let repeat = 0; repeat < repeats; repeat++) {
    if (repeat % 2 === 0) {
      await a(repeat);
      await b(repeat);
    } else {
      await b(repeat);
      await a(repeat);
    }
  }
}

/** The processes whose CPU a workload may account for. */
export function processPids(ctx: BenchContext): Record<string, number> {
  return {
    worker: ctx.workerPid,
    temporal: ctx.stack.temporal.pid,
    redis: ctx.stack.redis.pid,
    origin: ctx.stack.originPid,
    bench: process.pid,
  };
}

/** Milliseconds since `startMs` (performance.now()). */
export function since(startMs: number): number {
  return performance.now() - startMs;
}
