// Slowloris: many connections trickling header bytes (and some a body) while normal traffic runs. With
// the service's default HTTP settings (headers within HTTP_HEADERS_TIMEOUT_MS = 5 s, the whole request
// within HTTP_REQUEST_TIMEOUT_MS = 10 s, connections checked every second), every slow socket must be
// answered 408 and closed within its timeout + 1.5 s, and normal requests must keep their latency SLO.
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { countBy, latencyMs, percentile, round } from "../lib/figures.ts";
import { openScenario } from "../lib/opening.ts";
import { epochMs } from "../lib/otp-client.ts";
import { startedBetween } from "../lib/outage.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { answeredAsExpected, startSendLoad } from "../lib/send-load.ts";

/** The service's defaults, not overridden here: the figures are the production ones. */
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Node checks connections for these timeouts every second. */
const CHECK_MARGIN_MS = 1_500;
/** The bench's latency SLO (BENCH_SLO_P99_MS). */
const SLO_P99_MS = 50;
const TRICKLE_INTERVAL_MS = 1_000;
/** The old settings held a slow-header socket ~77 s (measured before the headers timeout was lowered). */
const HOLD_BEFORE_S = 77;

interface SlowSocket {
  kind: "headers" | "body";
  openedAt: number;
  closedAt: number | null;
  bytesSent: number;
  answer: string;
  error: string | null;
}

export const slowloris: Scenario = {
  name: "slowloris",
  summary:
    "many connections trickling headers (and bodies) under normal traffic: each answered 408 and closed within its timeout + 1.5 s, normal p99 within the SLO",
  async run(context) {
    const { size, log } = context;
    const sockets = size(50, 200);
    const bodySockets = Math.round(sockets * 0.2);
    const rate = size(20, 40);
    const warmupS = size(3, 8);
    const attackS = Math.ceil((REQUEST_TIMEOUT_MS + CHECK_MARGIN_MS + 2_000) / 1000);
    const durationS = warmupS + attackS + size(2, 5);

    const { tenant, service } = await openScenario(context, { tenant: "sl" });

    log(
      `k6: ${rate} send/verify requests/s for ${durationS} s; ${sockets} slow sockets (${bodySockets} trickling a body) after ${warmupS} s`,
    );
    const load = startSendLoad(context, service, tenant, { rate, durationS, phonePrefix: "1548", ridPrefix: "sl", mix: "send-verify" });
    await sleep(warmupS * 1000);

    const attackAt = epochMs();
    const slow: SlowSocket[] = [];
    const done: Array<Promise<void>> = [];
    for (let i = 0; i < sockets; i++) {
      const socket: SlowSocket = {
        kind: i < bodySockets ? "body" : "headers",
        openedAt: 0,
        closedAt: null,
        bytesSent: 0,
        answer: "",
        error: null,
      };
      slow.push(socket);
      done.push(trickle(service.port, socket, tenant.apiKey, attackAt + attackS * 1000));
      // Opened over about a second, as an attacker's ramp would be.
      if (i % 10 === 9) await sleep(50);
    }
    await Promise.all(done);
    const attackEnd = Math.max(...slow.map((socket) => socket.closedAt ?? epochMs()));
    log(`slow sockets all closed ${Math.round(attackEnd - attackAt)} ms after the attack began`);
    const { exit: k6Exit, requests } = await load.finished();

    const during = startedBetween(requests, attackAt, attackEnd);
    const before = startedBetween(requests, 0, attackAt);
    const holds = (kind: SlowSocket["kind"]) =>
      slow
        .filter((socket) => socket.kind === kind && socket.closedAt !== null)
        .map((socket) => (socket.closedAt as number) - socket.openedAt);
    /** The p-th percentile of the holds, in seconds; `none` when no socket of the kind was closed. */
    const holdS = (kind: SlowSocket["kind"], p: number, none = 0) => round((percentile(holds(kind), p) ?? none) / 1000, 2);
    const answered408 = slow.filter((socket) => socket.answer.startsWith("HTTP/1.1 408"));
    const p99During = latencyMs(during, 99);

    const checks = new Checks();
    checks.equal("k6 ran to the end", k6Exit, 0);
    checks.equal("slow sockets closed by the server", slow.filter((socket) => socket.closedAt !== null && !socket.error).length, sockets);
    checks.add(
      "every slow socket answered 408",
      `${sockets}`,
      JSON.stringify(countBy(slow, (s) => s.answer.split("\r\n")[0] || "no answer")),
      answered408.length === sockets,
    );
    checks.atMost(
      "longest hold of a slow-header socket",
      holdS("headers", 100, Number.POSITIVE_INFINITY),
      (HEADERS_TIMEOUT_MS + CHECK_MARGIN_MS) / 1000,
      " s",
    );
    checks.atMost(
      "longest hold of a slow-body socket",
      holdS("body", 100, Number.POSITIVE_INFINITY),
      (REQUEST_TIMEOUT_MS + CHECK_MARGIN_MS) / 1000,
      " s",
    );
    checks.equal("normal requests failed during the attack", during.filter((r) => !answeredAsExpected(r)).length, 0);
    checks.atMost("p99 of normal requests during the attack", p99During, SLO_P99_MS, " ms");
    checks.atLeast("normal requests during the attack", during.length, 1);

    return {
      figures: {
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        slowSockets: sockets,
        slowBodySockets: bodySockets,
        trickleIntervalMs: TRICKLE_INTERVAL_MS,
        headerHoldMaxS: holdS("headers", 100),
        headerHoldMedianS: holdS("headers", 50),
        headerHoldMinS: holdS("headers", 0),
        bodyHoldMaxS: holdS("body", 100),
        bodyHoldMedianS: holdS("body", 50),
        headerHoldBeforeS: HOLD_BEFORE_S,
        answers: countBy(slow, (s) => s.answer.split("\r\n")[0] || "no answer"),
        socketErrors: countBy(
          slow.filter((s) => s.error),
          (s) => s.error ?? "",
        ),
        bytesSentMax: Math.max(...slow.map((s) => s.bytesSent)),
        attackWindowS: round((attackEnd - attackAt) / 1000, 1),
        normalRate: rate,
        normalRequestsDuringAttack: during.length,
        normalStatusesDuringAttack: countBy(during, (r) => `${r.name} ${r.status}`),
        p50DuringAttackMs: latencyMs(during, 50),
        p99DuringAttackMs: p99During,
        maxDuringAttackMs: latencyMs(during, 100),
        p99BeforeAttackMs: latencyMs(before, 99),
      },
      checks: checks.list,
      notes: [
        `The service runs with its defaults: HTTP_HEADERS_TIMEOUT_MS=${HEADERS_TIMEOUT_MS}, HTTP_REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS}, Node's connectionsCheckingInterval 1 s; a slow socket is therefore closed between its timeout and its timeout + ~1 s.`,
        `Slow-header sockets send a request line and one header line every ${TRICKLE_INTERVAL_MS} ms, never the blank line; slow-body sockets send complete headers with Content-Length 4096 and then one body byte every ${TRICKLE_INTERVAL_MS} ms. The headers timeout bounds the first kind, the request timeout the second.`,
        `Before the headers timeout was set below the request timeout (Node ignores headersTimeout otherwise) a slow-header socket was held ~${HOLD_BEFORE_S} s.`,
        "Not covered: many more sockets than file descriptors or the server's connection limit allow, slow readers (a client that never reads the answer), HTTP/2; a proxy in front normally buffers requests and absorbs all of these.",
      ],
    };
  },
};

/** One slow client: trickles until the server closes the socket (or `giveUpAt`). */
function trickle(port: number, record: SlowSocket, apiKey: string, giveUpAt: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let timer: NodeJS.Timeout | undefined;
    const write = (text: string) => {
      if (socket.destroyed || !socket.writable) return;
      socket.write(text);
      record.bytesSent += Buffer.byteLength(text);
    };
    socket.once("connect", () => {
      record.openedAt = epochMs();
      if (record.kind === "headers") {
        write("POST /v1/otp/send HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        let n = 0;
        timer = setInterval(() => write(`X-Slow-${n++}: ${"a".repeat(8)}\r\n`), TRICKLE_INTERVAL_MS);
      } else {
        write(
          `POST /v1/otp/send HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${apiKey}\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{`,
        );
        timer = setInterval(() => write(" "), TRICKLE_INTERVAL_MS);
      }
    });
    socket.on("data", (chunk: Buffer) => {
      record.answer += chunk.toString();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // A reset after the server's answer is how some closes look; keep the first error otherwise.
      if (!record.answer) record.error ??= error.code ?? error.message;
    });
    const giveUp = setTimeout(() => socket.destroy(), Math.max(0, giveUpAt - epochMs()));
    socket.once("close", () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      // Closed by us at giveUpAt means the server never closed it.
      record.closedAt = epochMs() >= giveUpAt ? null : epochMs();
      resolve();
    });
  });
}
