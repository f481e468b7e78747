// The warming client's deployment-wide setup and teardown: the custom search attributes the
// workflows index, and stopping every workflow and key of the deployment.
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows';
import type { DeploymentContext } from './deployment-context';
import { teardown, type TeardownOptions, type TeardownReport } from './teardown';

/** What belongs to the whole deployment rather than to one task. */
export class DeploymentControl {
  private batchResults: Promise<boolean> | undefined;

  constructor(private readonly context: DeploymentContext) {}

  /**
   * Registers the custom search attributes when the namespace lacks them (idempotent). Where the
   * credentials may not (Temporal Cloud: attributes are created with tcld or the UI, not by
   * clients): if they already exist nothing is asked; if they cannot even be listed, warns once
   * and goes on; if some are missing, throws one line naming each with its type.
   */
  async ensureSearchAttributes(): Promise<void> {
    const namespace = this.context.temporal.options.namespace;
    const operator = this.context.temporal.connection.operatorService;
    const named = (attributes: readonly { name: string; cliType: string }[]) =>
      attributes.map((attribute) => `${attribute.name}=${attribute.cliType}`).join(', ');
    let customAttributes: Record<string, unknown> | null | undefined;
    try {
      ({ customAttributes } = await operator.listSearchAttributes({ namespace }));
    } catch (err) {
      if (!isNotAllowed(err)) throw err;
      this.context.warnOnce(
        `cannot list the search attributes of namespace ${namespace} (${grpcReason(err)}); assuming ${named(SEARCH_ATTRIBUTES)} exist`,
      );
      return;
    }
    const types = temporal.api.enums.v1.IndexedValueType;
    const byCliType = {
      Keyword: types.INDEXED_VALUE_TYPE_KEYWORD,
      Bool: types.INDEXED_VALUE_TYPE_BOOL,
      Int: types.INDEXED_VALUE_TYPE_INT,
      KeywordList: types.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    } as const;
    const missing = SEARCH_ATTRIBUTES.filter((attribute) => !customAttributes?.[attribute.name]);
    if (missing.length === 0) return;
    try {
      await operator.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map((attribute) => [attribute.name, byCliType[attribute.cliType]]),
        ),
      });
    } catch (err) {
      if (!isNotAllowed(err)) throw err;
      throw new Error(
        `namespace ${namespace} lacks the search attributes ${named(missing)} and these credentials may not create them ` +
          `(${grpcReason(err)}): create them first (see docs/temporal-cloud.md), then apply again`,
      );
    }
  }

  /** Whether tasks can record fleet results: `WarmBatches` exists (registered here when missing); asked once. */
  recordsBatchResults(): Promise<boolean> {
    this.batchResults ??= this.ensureSearchAttributes().then(
      () => true,
      (err: unknown) => {
        this.context.warnOnce(`warming task by task: ${(err as Error).message}`);
        return false;
      },
    );
    return this.batchResults;
  }

  /**
   * Stops every workflow on this deployment's task queues and removes every key under its prefix
   * (`warmctl teardown`); `dryRun` only counts, `values` also removes the values its metadata names.
   */
  teardown(options: TeardownOptions = {}): Promise<TeardownReport> {
    const { temporal, redis, keys, taskQueue, concurrency } = this.context;
    return teardown({ temporal, redis, keys, taskQueue, concurrency }, options);
  }
}

/** Refusals that mean "not with these credentials": PERMISSION_DENIED, or UNIMPLEMENTED where a service offers no operator API. */
function isNotAllowed(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 7 || code === 12;
}

function grpcReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const details = (err as { details?: unknown }).details;
  const name = code === 7 ? 'PERMISSION_DENIED' : code === 12 ? 'UNIMPLEMENTED' : `code ${String(code)}`;
  return typeof details === 'string' && details ? `${name}: ${details.split('\n')[0]}` : name;
}
