// The physical floor of Node's HTTP stack: node:http alone, no framework, no dependencies.
// `node k6/smoke/bare-hello-server.ts [port]` (or BARE_HELLO_PORT; 0 = any free port) answers every GET
// with {"message":"hello"}, as the service's /hello does, and prints one line: `listening <url>`.
// Run as its own process (the benchmark runner and the smoke tests do) so it never shares an event loop.
import { createServer } from "node:http";

const BODY = JSON.stringify({ message: "hello" });
const HEADERS = { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(BODY)) };

const port = Number(process.argv[2] ?? process.env.BARE_HELLO_PORT ?? 8081);
const host = process.env.BARE_HELLO_HOST ?? "127.0.0.1";
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`bare-hello-server: invalid port "${process.argv[2] ?? process.env.BARE_HELLO_PORT}"\n`);
  process.exit(2);
}

const server = createServer((req, res) => {
  if (req.method === "GET" || req.method === "HEAD") {
    res.writeHead(200, HEADERS);
    res.end(req.method === "GET" ? BODY : undefined);
    return;
  }
  res.writeHead(405, { allow: "GET, HEAD", "content-length": "0" });
  res.end();
});
// Like the service: keep-alive outlives a client's pool, so the client always closes first.
server.keepAliveTimeout = 65_000;

server.listen(port, host, () => {
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  process.stdout.write(`listening http://${host}:${bound}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
