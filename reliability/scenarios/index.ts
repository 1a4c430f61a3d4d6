// Every scenario, in the order `make reliability` runs them.
import type { Scenario } from "../lib/scenario.ts";
import { abuseAndSecrets } from "./abuse-and-secrets.ts";
import { badInput } from "./bad-input.ts";
import { postgresOutage } from "./postgres-outage.ts";
import { providerOutage } from "./provider-outage.ts";
import { redisKilled } from "./redis-killed.ts";
import { redisOutage } from "./redis-outage.ts";
import { rollingRestart } from "./rolling-restart.ts";
import { slowloris } from "./slowloris.ts";
import { smsFaults } from "./sms-faults.ts";
import { workerKilled } from "./worker-killed.ts";

export const SCENARIOS: Scenario[] = [
  rollingRestart,
  redisOutage,
  redisKilled,
  postgresOutage,
  smsFaults,
  providerOutage,
  workerKilled,
  badInput,
  slowloris,
  abuseAndSecrets,
];
