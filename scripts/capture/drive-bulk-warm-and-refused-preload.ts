// Capture phase 5, bulk warm and preload input failures: a bulk warm of 12 ids in batches, and a
// preload child started by hand with settings its activity refuses (it fails naming the field).
import { bulkWarmWorkflow } from '../../workflows';
import { PREFIX, TASK_QUEUE, type CaptureContext } from './capture-context';

export async function driveBulkWarmAndRefusedPreload(ctx: CaptureContext): Promise<void> {
  const { client, scenario } = ctx;
  const o = ctx.originUrl;
  scenario('bulk-warm-capture', 'bulk warm: 12 ids in batches of 5, 2 in parallel');
  await client.workflow.execute(bulkWarmWorkflow, {
    workflowId: 'bulk-warm-capture',
    taskQueue: TASK_QUEUE,
    args: [
      {
        template: { key: 'product:{id}', loader: { type: 'http', url: `${o}/products/{id}` }, ttlSeconds: 600 },
        idRange: { from: 0, to: 12 },
        batchSize: 5,
        parallelBatches: 2,
      },
    ],
  });

  // A preload given settings its activity refuses as input fails naming the field (from 0.3.0).
  scenario(
    'preload-user:refused',
    'preload child started by hand with a settings key under the reserved prefix: fails',
  );
  await client.workflow
    .execute('preloadUserWorkflow', {
      workflowId: 'preload-user:refused',
      taskQueue: TASK_QUEUE,
      args: [
        {
          userId: 'refused',
          settings: {
            session: {
              loader: { type: 'http', url: `${o}/users/{userId}/session` },
              key: `${PREFIX}{userId}`,
              ttlSeconds: 60,
            },
          },
        },
      ],
    })
    .then(
      () => {
        throw new Error('a preload with a reserved settings key succeeded');
      },
      () => undefined,
    );
}
