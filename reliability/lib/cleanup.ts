// Everything a scenario starts is registered here and stopped in reverse order, whether the scenario
// passed, failed, threw or was interrupted (Ctrl-C). Each task is bounded so one stuck process cannot
// hold the others.
import { setTimeout as sleep } from "node:timers/promises";

interface Task {
  name: string;
  run: () => Promise<unknown> | unknown;
}

export class Cleanup {
  private readonly tasks: Task[] = [];
  private running: Promise<void> | undefined;

  /** Registers a task; tasks run last-registered first. */
  add(name: string, run: () => Promise<unknown> | unknown): void {
    this.tasks.push({ name, run });
  }

  /** Runs every task once (concurrent calls share the same run). */
  runAll(timeoutMs = 30_000): Promise<void> {
    this.running ??= (async () => {
      while (this.tasks.length > 0) {
        const task = this.tasks.pop() as Task;
        try {
          const outcome = await Promise.race([
            Promise.resolve(task.run()).then(() => "done" as const),
            sleep(timeoutMs, "timeout" as const, { ref: false }),
          ]);
          if (outcome === "timeout") process.stderr.write(`[reliability] cleanup "${task.name}" did not finish in ${timeoutMs} ms\n`);
        } catch (error) {
          process.stderr.write(`[reliability] cleanup "${task.name}" failed: ${(error as Error).message}\n`);
        }
      }
    })();
    return this.running;
  }
}
