// Capture phase 6, the release-0.1 per-user sessions: a login, a storm, a skip and a forced login, one
// without forms, malformed payloads, continue-as-new, and a re-applied config whose source fails.
import {
  userLoggedInSignal,
  userSessionStatusQuery,
  userSessionWorkflow,
  userSessionWorkflowId,
} from '../../workflows';
import { TASK_QUEUE, type CaptureContext } from './capture-context';
import { waitUntil } from './wait-until';

export async function driveUserSessions(ctx: CaptureContext): Promise<void> {
  const { client, warming, scenario, remaining } = ctx;
  const login = (userId: string, extra: Record<string, unknown> = {}, args: Record<string, unknown> = {}) =>
    client.workflow.signalWithStart(userSessionWorkflow, {
      workflowId: userSessionWorkflowId(userId),
      taskQueue: TASK_QUEUE,
      args: [{ userId, ...args }],
      signal: userLoggedInSignal,
      signalArgs: [{ userId, ...extra }],
    });
  const session = (userId: string) => client.workflow.getHandle(userSessionWorkflowId(userId));
  const sessionStatus = (userId: string) => session(userId).query(userSessionStatusQuery);
  const preloadsDone = (userId: string, n: number) =>
    waitUntil(`${n} preloads of ${userId}`, async () => {
      const s = await sessionStatus(userId);
      return s.preloads >= n && s.state === 'idle';
    });

  scenario(userSessionWorkflowId('alice'), 'session: login, preload child, idle close');
  await login('alice');
  scenario(userSessionWorkflowId('bob'), 'session: a storm of 6 logins coalesced into one or two preloads');
  await Promise.all(Array.from({ length: 6 }, () => login('bob')));
  scenario(userSessionWorkflowId('carol'), 'session: login, a second login skipped (recent), a forced one preloaded');
  await login('carol');
  await preloadsDone('carol', 1);
  await login('carol');
  await waitUntil('carol skipped', async () => (await sessionStatus('carol')).skipped >= 1);
  await login('carol', { force: true });
  await preloadsDone('carol', 2);
  scenario(userSessionWorkflowId('dave'), 'session: login without forms, then one with forms (not skipped)');
  await login('dave', { preloadForms: false });
  await preloadsDone('dave', 1);
  await login('dave', { preloadForms: true });
  await preloadsDone('dave', 2);
  scenario(userSessionWorkflowId('erin'), 'session: malformed userLoggedIn payloads dropped, then a good login');
  await login('erin', { userId: 'mallory' });
  await session('erin').signal('userLoggedIn', { userId: 'erin', force: 'yes' });
  await session('erin').signal('userLoggedIn', 'garbage');
  await session('erin').signal(userLoggedInSignal, { userId: 'erin' });
  await preloadsDone('erin', 1);
  scenario(userSessionWorkflowId('frank'), 'session: forced logins with historyEventsLimit 20: continue-as-new');
  for (let i = 0; i < 4; i++) {
    await login('frank', { force: true }, { historyEventsLimit: 20 });
    await waitUntil(`frank preload ${i + 1}`, async () => {
      const s = await sessionStatus('frank');
      return s.generation > 0 || (s.preloads >= i + 1 && s.state === 'idle');
    });
  }
  await waitUntil('frank to continue as new', async () => (await sessionStatus('frank')).generation >= 1);

  // A re-applied config takes effect at the next login: navigation now fails (404).
  scenario(userSessionWorkflowId('grace'), 'session: a preload with a failing source (navigation 404)');
  await warming.apply({ ...remaining, userPreload: ctx.preload('/users/{userId}/nowhere') });
  await login('grace');
  await preloadsDone('grace', 1);
  await warming.apply(remaining);
}
