import { spawnSync } from "node:child_process";
import { APP_MAIN } from "@otp-lab/local-stack/app-cli";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config/load-config";

describe("loadConfig", () => {
  it("has working defaults for local use", () => {
    const config = loadConfig({ NODE_ENV: "development" });
    expect(config.http.port).toBe(8080);
    expect(config.shutdown).toEqual({ drainDelayMs: 5_000, timeoutMs: 10_000 });
    expect(config.layerEndpointsEnabled).toBe(false);
    expect(config.testErrorEndpointEnabled).toBe(false);
    expect(config.http.headersTimeoutMs).toBeLessThan(config.http.requestTimeoutMs);
  });

  it("refuses a headers timeout Node would ignore (not below the request timeout)", () => {
    expect(() => loadConfig({ NODE_ENV: "test", HTTP_HEADERS_TIMEOUT_MS: "10000", HTTP_REQUEST_TIMEOUT_MS: "10000" })).toThrow(
      "invalid configuration: HTTP_HEADERS_TIMEOUT_MS: must be below HTTP_REQUEST_TIMEOUT_MS",
    );
  });

  it("parses types once: numbers, flags and URLs", () => {
    const config = loadConfig({ NODE_ENV: "test", PORT: "9090", LAYER_ENDPOINTS_ENABLED: "yes", REDIS_URL: "redis://cache:6380" });
    expect(config.http.port).toBe(9090);
    expect(config.layerEndpointsEnabled).toBe(true);
    expect(config.redis.url).toBe("redis://cache:6380");
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ NODE_ENV: "test", PORT: "" }).http.port).toBe(8080);
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["SHUTDOWN_TIMEOUT_MS", "-5"],
    ["LOG_LEVEL", "loud"],
    ["DATABASE_URL", "mysql://x"],
    ["ACCESS_LOG_ENABLED", "maybe"],
  ])("rejects %s=%s with a one-line message naming it", (name, value) => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: "test", [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(name);
    expect(message).not.toContain("\n");
  });

  it("requires OTP_SECRET in production and never echoes its value", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/OTP_SECRET: is required/);
    expect(() => loadConfig({ NODE_ENV: "production", OTP_SECRET: "short-secret-value" })).toThrow(/OTP_SECRET/);
    try {
      loadConfig({ NODE_ENV: "production", OTP_SECRET: "short-secret-value" });
    } catch (error) {
      expect((error as Error).message).not.toContain("short-secret-value");
    }
  });
});

describe("the service with a bad setting", () => {
  it("exits 2 with one line on stderr naming the variable", () => {
    const result = spawnSync(process.execPath, [APP_MAIN], {
      env: { PATH: process.env.PATH, NODE_ENV: "test", PORT: "not-a-port" },
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^invalid configuration: PORT: /);
    expect(result.stdout).toBe("");
  });

  it("exits 2 on an unknown command", () => {
    const result = spawnSync(process.execPath, [APP_MAIN, "fly"], {
      env: { PATH: process.env.PATH, NODE_ENV: "test" },
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command "fly"');
  });
});
