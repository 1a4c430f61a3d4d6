// A CustomResourceDefinition from zod schemas: the same schema types the controller's code and validates
// on the API server. Cross-field rules go in as CEL `x-kubernetes-validations` on spec, each with the
// field path the API server reports when it rejects an object.
import { type ZodType, z } from "zod";
import { type JsonSchema, toStructural } from "./structural-schema.ts";

export interface CelValidation {
  rule: string;
  message: string;
  /** JSONPath (relative to spec) of the field the error names, e.g. ".dailySendCap". */
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
  /** The schema node the rule sits on, below spec: property names, "[]" for array items; default spec itself. */
  at?: string[];
}

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CrdFromZodOptions {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular?: string;
  shortNames?: string[];
  categories?: string[];
  scope: "Namespaced" | "Cluster";
  /** What `kubectl explain <kind>` prints for the resource itself. */
  description: string;
  spec: ZodType;
  status: ZodType;
  validations?: CelValidation[];
  printerColumns?: PrinterColumn[];
}

/** zod → structural JSON Schema; io "input" so fields with a default are optional and the API server defaults them. */
export function structuralSchemaOf(schema: ZodType, path: string): JsonSchema {
  return toStructural(z.toJSONSchema(schema, { target: "openapi-3.0", io: "input", unrepresentable: "throw" }) as JsonSchema, path);
}

function nodeAt(root: JsonSchema, path: string[]): JsonSchema {
  let node = root;
  for (const part of path) {
    const next = (part === "[]" ? node.items : (node.properties as Record<string, JsonSchema> | undefined)?.[part]) as
      | JsonSchema
      | undefined;
    if (!next) throw new Error(`CEL rule at spec.${path.join(".")}: no schema node ${part}`);
    node = next;
  }
  return node;
}

export function crdFromZod(options: CrdFromZodOptions) {
  const spec = structuralSchemaOf(options.spec, "spec");
  for (const { at, ...validation } of options.validations ?? []) {
    const node = nodeAt(spec, at ?? []);
    node["x-kubernetes-validations"] = [...((node["x-kubernetes-validations"] as CelValidation[] | undefined) ?? []), validation];
  }
  const status = structuralSchemaOf(options.status, "status");
  const singular = options.singular ?? options.kind.toLowerCase();
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${options.plural}.${options.group}` },
    spec: {
      group: options.group,
      scope: options.scope,
      names: {
        kind: options.kind,
        listKind: `${options.kind}List`,
        plural: options.plural,
        singular,
        ...(options.shortNames ? { shortNames: options.shortNames } : {}),
        ...(options.categories ? { categories: options.categories } : {}),
      },
      versions: [
        {
          name: options.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          ...(options.printerColumns ? { additionalPrinterColumns: options.printerColumns } : {}),
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: options.description,
              required: ["spec"],
              properties: {
                apiVersion: { type: "string", description: "The versioned schema of this representation of an object." },
                kind: { type: "string", description: "The REST resource this object represents." },
                // The API server allows nothing but `type` here (it owns metadata's schema).
                metadata: { type: "object" },
                spec,
                status,
              },
            },
          },
        },
      ],
    },
  };
}

export type CustomResourceDefinition = ReturnType<typeof crdFromZod>;
