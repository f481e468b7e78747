// Workflow interceptors of the traced bundle only (dist/workflow-bundle-traced.js, used when
// tracing is on): the SDK's OpenTelemetry interceptors, plus the links that put a login's preload
// child and a forced warm's warmKey in the trace of the signal or update that asked for them.
// Neither issues or changes a command: replaying a history with or without them gives the same ones.
import { context, type Context } from '@opentelemetry/api';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  ActivityInput,
  LocalActivityInput,
  Next,
  SignalInput,
  StartChildWorkflowExecutionInput,
  UpdateInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { forceWarmSignal, warmNowUpdate } from './definitions';
import { userLoggedInSignal } from './user-definitions';

/** Logins whose context is kept until their user's preload starts; beyond it the oldest is dropped. */
const MAX_PENDING_LOGINS = 1000;

/**
 * Where a workflow's work was asked for. The shard serves a login, and the task workflow a forced
 * warm, from its main loop, outside the handler's span: without this the preload child and the warm
 * would hang under the long-running workflow's own span, in whichever trace started it.
 */
class TraceLinks {
  readonly logins = new Map<string, Context>();
  warm: Context | undefined;

  rememberLogin(userId: unknown): void {
    if (typeof userId !== 'string') return;
    this.logins.delete(userId);
    this.logins.set(userId, context.active());
    if (this.logins.size > MAX_PENDING_LOGINS) this.logins.delete(this.logins.keys().next().value as string);
  }

  takeLogin(userId: unknown): Context | undefined {
    if (typeof userId !== 'string') return undefined;
    const found = this.logins.get(userId);
    this.logins.delete(userId);
    return found;
  }

  takeWarm(): Context | undefined {
    const found = this.warm;
    this.warm = undefined;
    return found;
  }
}

/** Runs inside the SDK's inbound interceptor, so the active context is the handler's span. */
class LinkInbound implements WorkflowInboundCallsInterceptor {
  constructor(private readonly links: TraceLinks) {}

  handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    if (input.signalName === userLoggedInSignal.name)
      this.links.rememberLogin((input.args[0] as { userId?: unknown } | undefined)?.userId);
    else if (input.signalName === forceWarmSignal.name) this.links.warm = context.active();
    return next(input);
  }

  handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    if (input.name === warmNowUpdate.name) this.links.warm = context.active();
    return next(input);
  }
}

/** Runs outside the SDK's outbound interceptor, so its span is made in the remembered context. */
class LinkOutbound implements WorkflowOutboundCallsInterceptor {
  constructor(private readonly links: TraceLinks) {}

  startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ): Promise<[Promise<string>, Promise<unknown>]> {
    const asked =
      input.workflowType === 'preloadUserWorkflow'
        ? this.links.takeLogin((input.options.args?.[0] as { userId?: unknown } | undefined)?.userId)
        : undefined;
    return asked ? context.with(asked, () => next(input)) : next(input);
  }

  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ): Promise<unknown> {
    const asked = input.activityType === 'warmKey' ? this.links.takeWarm() : undefined;
    return asked ? context.with(asked, () => next(input)) : next(input);
  }

  scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ): Promise<unknown> {
    const asked = input.activityType === 'warmKey' ? this.links.takeWarm() : undefined;
    return asked ? context.with(asked, () => next(input)) : next(input);
  }
}

/** The traced bundle's workflow interceptors (`workflowInterceptorModules`). The first of each list runs outermost. */
export const interceptors = (): WorkflowInterceptors => {
  const links = new TraceLinks();
  return {
    inbound: [new OpenTelemetryInboundInterceptor(), new LinkInbound(links)],
    outbound: [new LinkOutbound(links), new OpenTelemetryOutboundInterceptor()],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
};
