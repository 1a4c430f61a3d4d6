// The alert rules: promtool accepts the plain rules file (written to a temporary folder), its unit tests (test/alerts.test.yaml) show every
// alert firing with exact labels and annotations and resolving afterwards, and every alert is complete
// and has a runbook section in dashboards/README.md.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { parse, stringify } from "yaml";
import { renderChart } from "../../cdk8s/test/render.ts";
import { type AlertingRule, isAlertingRule, PLAIN_CONTEXT, RECORDED, ruleGroups, runbookAnchor, SLO_WINDOWS } from "../src/alerts.ts";
import { writeRulesFile } from "./proof.ts";

const { promtoolBin } = inject("proof");
const UNIT_TESTS = join(import.meta.dirname, "alerts.test.yaml");
// The plain rules file is not committed: written here with the unit tests beside it (their rule_files is relative).
const scratch = mkdtempSync(join(tmpdir(), "otp-lab-alerts-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const RULES = writeRulesFile(scratch);
const SCRATCH_UNIT_TESTS = join(scratch, "alerts.test.yaml");
writeFileSync(SCRATCH_UNIT_TESTS, readFileSync(UNIT_TESTS));
const groups = ruleGroups(PLAIN_CONTEXT);
const alerts = groups.flatMap((group) => group.rules).filter(isAlertingRule);

function promtool(...args: string[]): string {
  try {
    return execFileSync(promtoolBin, args, { encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${failed.stdout ?? ""}${failed.stderr ?? ""}`);
  }
}

interface UnitTests {
  tests: {
    name: string;
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: unknown[] }[];
    promql_expr_test?: { expr: string }[];
  }[];
}
const minutes = (duration: string) => {
  const match = /^(\d+)([mh])$/.exec(duration);
  if (!match) throw new Error(`unexpected eval_time ${duration}`);
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
};

describe("promtool", () => {
  it("check rules: the generated rules file is valid", () => {
    const rules = groups.reduce((count, group) => count + group.rules.length, 0);
    expect(promtool("check", "rules", RULES)).toContain(`SUCCESS: ${rules} rules found`);
  });

  it("test rules: every unit test in test/alerts.test.yaml passes", () => {
    expect(promtool("test", "rules", SCRATCH_UNIT_TESTS)).toContain("SUCCESS");
  });

  it("check rules: the chart's PrometheusRules, as helm renders them, are the same groups and valid", async () => {
    const objects = await renderChart("bench", "otp", "lab");
    const rules = objects.filter((object) => object.kind === "PrometheusRule");
    expect(rules.map((object) => object.metadata.name)).toEqual(["otp-otp-service", "otp-otp-service-recording"]);
    const rendered = rules.flatMap((object) => (object.spec as { groups: { name: string; rules: unknown[] }[] }).groups);
    expect(rendered.map((group) => group.name).sort()).toEqual(groups.map((group) => `otp-otp-service.${group.key}`).sort());
    const dir = mkdtempSync(join(tmpdir(), "otp-lab-rules-"));
    try {
      const file = join(dir, "chart.rules.yaml");
      writeFileSync(file, stringify({ groups: rendered }));
      const count = groups.reduce((sum, group) => sum + group.rules.length, 0);
      expect(promtool("check", "rules", file)).toContain(`SUCCESS: ${count} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the unit tests cover", () => {
  const unitTests = parse(readFileSync(UNIT_TESTS, "utf8")) as UnitTests;
  const cases = unitTests.tests.flatMap((test) => (test.alert_rule_test ?? []).map((item) => ({ test: test.name, ...item })));

  it.each(alerts.map((alert) => [alert.alert]))("%s firing, then resolving in the same scenario", (name) => {
    const firing = cases.filter((item) => item.alertname === name && item.exp_alerts.length > 0);
    expect(firing.length, `no test where ${name} fires`).toBeGreaterThan(0);
    const resolves = firing.some((fire) =>
      cases.some(
        (item) =>
          item.test === fire.test &&
          item.alertname === name &&
          item.exp_alerts.length === 0 &&
          minutes(item.eval_time) > minutes(fire.eval_time),
      ),
    );
    expect(resolves, `no test where ${name} resolves after firing`).toBe(true);
  });

  it("the recorded SLO ratios", () => {
    const tested = new Set(unitTests.tests.flatMap((test) => (test.promql_expr_test ?? []).map((item) => item.expr)));
    expect(tested).toContain(RECORDED.errorRatio("1h"));
    expect(tested).toContain(RECORDED.slowRatio("1h"));
  });
});

describe("every alert", () => {
  const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");

  it.each(alerts.map((alert) => [alert.alert, alert] as const))("%s has severity, summary, description and a runbook", (name, alert) => {
    const { labels, annotations } = alert as AlertingRule;
    expect(["critical", "warning"]).toContain(labels.severity);
    expect(annotations.summary.length).toBeGreaterThan(20);
    expect(annotations.description.length).toBeGreaterThan(20);
    expect(annotations.runbook_url).toBe(`dashboards/README.md#${runbookAnchor(name)}`);
    expect(readme, `README.md needs a "### ${name}" section`).toContain(`\n### ${name}\n`);
  });

  it("pairs the standard windows: 1h/5m at 14.4× and 6h/30m at 6×, over recorded windows", () => {
    const byName = Object.fromEntries(alerts.map((alert) => [alert.alert, alert.expr]));
    for (const [name, factor, long, short] of [
      ["OtpServiceErrorBudgetBurnFast", "14.4", "1h", "5m"],
      ["OtpServiceErrorBudgetBurnSlow", "6", "6h", "30m"],
      ["OtpServiceLatencyBudgetBurnFast", "14.4", "1h", "5m"],
      ["OtpServiceLatencyBudgetBurnSlow", "6", "6h", "30m"],
    ] as const) {
      expect(byName[name]).toContain(`(${factor} * (1 - `);
      expect(byName[name]).toContain(`[${long}]`);
      expect(byName[name]).toContain(`[${short}]`);
      expect(SLO_WINDOWS).toContain(long);
      expect(SLO_WINDOWS).toContain(short);
    }
  });
});
