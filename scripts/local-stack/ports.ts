import { createServer } from "node:net";

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something already listens on the loopback port (a bind there fails with EADDRINUSE). */
function inUse(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" ? resolve(true) : reject(error)));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

/**
 * Refuses to go on when any of the named ports is taken: a stack that waited for its ports to open
 * would otherwise attach to whatever answers there (another stack) and seed that one's database.
 */
export async function assertPortsFree(ports: Record<string, number>): Promise<void> {
  const taken: string[] = [];
  for (const [name, port] of Object.entries(ports)) if (port !== 0 && (await inUse(port))) taken.push(`${name} ${port}`);
  if (taken.length > 0) {
    throw new Error(`ports already in use: ${taken.join(", ")} (another stack running? stop it, or choose other ports)`);
  }
}
