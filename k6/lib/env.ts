// The run's configuration, read from the environment once per VU at init. Importing this module is
// what makes a script refuse a bad or dangerous environment (K6_VUS, K6_DURATION, …) before anything runs.
import { parseConfig } from "./plan.ts";

export const config = parseConfig(__ENV);
