// warmctl login: reports a login exactly as the auth service does.
import type { Command } from 'commander';
import { loginShardWorkflowId } from '../client/notify-user-logged-in';
import { userIdArg } from './cli-arguments';
import { contextOf, printJson, withClient } from './cli-context';

export function addLoginCommands(program: Command): void {
  program
    .command('login')
    .description("report a login exactly as the auth service does: preload the user's session, navigation and forms")
    .argument('<user>', 'user id', userIdArg)
    .option('--force', 'preload even if the user was preloaded within skipIfWarmedWithinMinutes')
    .option('--no-forms', "leave the user's forms out")
    .action(async (userId: string, opts: { force?: boolean; forms: boolean }, command: Command) => {
      const context = contextOf(command);
      const options = { ...(opts.force ? { force: true } : {}), ...(opts.forms ? {} : { preloadForms: false }) };
      const taskQueue = await withClient(context, async (client) => {
        await client.logins.notify(userId, options);
        return client.taskQueue;
      });
      if (context.json)
        return printJson({
          workflowId: loginShardWorkflowId(taskQueue, userId),
          signal: 'userLoggedIn',
          payload: { userId, ...options },
        });
      console.log(
        `reported the login of ${userId}${opts.force ? ' (force)' : ''}${opts.forms ? '' : ', without forms'}`,
      );
    });
}
