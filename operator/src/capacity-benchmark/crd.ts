// The CapacityBenchmark CRD: schema from zod (schema.ts) by the shared crdFromZod, the cross-field rules as
// CEL at the nodes they name, columns for `kubectl get capacitybenchmarks`. Written to
// charts/otp-operator/crds/ by make synth (operator/src/generate-crds.ts) with the other CRDs.
import { type CelValidation, crdFromZod, type PrinterColumn } from "../crd/crd-from-zod.ts";
import { CEL_RULES, GROUP, KIND, PLURAL, PRINTER_COLUMNS, specSchema, statusSchema, VERSION } from "./schema.ts";

export const capacityBenchmarkCrd = crdFromZod({
  group: GROUP,
  version: VERSION,
  kind: KIND,
  plural: PLURAL,
  shortNames: ["cb"],
  categories: ["otp-lab"],
  scope: "Namespaced",
  description:
    "A capacity benchmark of a Deployment: the controller runs the ladder through k6-operator TestRuns, finds the capacity by make bench's rule, and stores results.json in the ConfigMap <name>-results.",
  spec: specSchema,
  status: statusSchema,
  // CEL_RULES name their nodes from the resource's root ("spec", …); crdFromZod's are below spec.
  validations: CEL_RULES.map(({ path, ...rule }) => ({ ...rule, at: path.slice(1) }) as CelValidation),
  printerColumns: PRINTER_COLUMNS as PrinterColumn[],
});
