// Failures the domain and the stores report. The HTTP layer decides how each one is answered.

export type Dependency = "postgres" | "redis" | "sms-provider";

/** A dependency did not answer (refused, timed out, disconnected). Callers should retry later. */
export class DependencyUnavailableError extends Error {
  override readonly name = "DependencyUnavailableError";
  constructor(
    readonly dependency: Dependency,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable`, options);
  }
}
