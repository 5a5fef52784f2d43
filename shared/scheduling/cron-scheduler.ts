import { schedule, type ScheduledTask } from 'node-cron';

/** node-cron behind a small port: a job that runs on a cron expression, never overlapping itself. */
export interface ScheduledJob {
  /** Runs the job now (tests; `hushpoint hub` operators). */
  execute(): Promise<void>;
  stop(): Promise<void>;
}

export function scheduleJob(
  name: string,
  expression: string,
  job: () => Promise<void> | void,
  options: { timezone?: string } = {},
): ScheduledJob {
  const task: ScheduledTask = schedule(
    expression,
    async () => {
      await job();
    },
    { name, noOverlap: true, ...(options.timezone ? { timezone: options.timezone } : {}) },
  );
  return {
    async execute() {
      await job();
    },
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
}
