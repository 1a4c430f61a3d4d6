// One cdk8s Chart per Helm template file. Its objects are HelmObjects (plain fields, markers where values
// decide) or cdk8s-plus constructs (the operator chart); either may exist only under a template condition.
import { ApiObject, Chart, JsonPatch } from "cdk8s";
import type { Construct } from "constructs";
import { type JsonObject, renderTemplateFile } from "../render-template.ts";

// cdk8s' Chart and ApiObject answer `instanceof` for any chart or object (Symbol.hasInstance), so
// subclasses are told apart by a brand instead.
const HELM_TEMPLATE = Symbol.for("otp-lab.HelmTemplate");

export const isHelmTemplate = (value: unknown): value is HelmTemplate =>
  typeof value === "object" && value !== null && HELM_TEMPLATE in value;

const CONDITIONS = new WeakMap<ApiObject, string>();
const PATCHES = new WeakMap<ApiObject, JsonPatch[]>();

/** Renders the object only when the template condition holds. */
export function when<T extends ApiObject>(object: T, condition: string): T {
  CONDITIONS.set(object, condition);
  return object;
}

/**
 * JSON patches applied to the object's synthesised JSON, for the fields a cdk8s-plus construct types
 * strictly but values.yaml decides (the patch value is a marker). Not ApiObject.addJsonPatch: cdk8s-plus'
 * generated classes re-serialise through typed functions after it, which turn a map's marker into `{}`,
 * drop a marker key and fail on a list's marker.
 */
export function patch(object: ApiObject, ...patches: JsonPatch[]): void {
  PATCHES.set(object, [...(PATCHES.get(object) ?? []), ...patches]);
}

export interface HelmTemplateProps {
  /** Path under templates/, e.g. `deployment.yaml`. */
  file: string;
  /** The TypeScript file that defines it, named in the generated header. */
  source: string;
  /** Template lines before the first object, e.g. variables shared by several objects. */
  prelude?: string[];
}

export class HelmTemplate extends Chart {
  readonly file: string;
  readonly source: string;
  readonly prelude: string[];

  constructor(scope: Construct, id: string, props: HelmTemplateProps) {
    super(scope, id, { disableResourceNameHashes: true });
    this.file = props.file;
    this.source = props.source;
    this.prelude = props.prelude ?? [];
    Object.defineProperty(this, HELM_TEMPLATE, { value: true });
  }

  /** The template text: every ApiObject of this chart, in construction order. */
  render(): string {
    const documents = this.node
      .findAll()
      .filter((child) => ApiObject.isApiObject(child))
      .map((object) => ({
        condition: CONDITIONS.get(object),
        body: JsonPatch.apply(object.toJson(), ...(PATCHES.get(object) ?? [])) as JsonObject,
      }));
    return renderTemplateFile(this.source, documents, this.prelude);
  }
}

export interface HelmObjectProps {
  apiVersion: string;
  kind: string;
  /** Render the object only when this template condition holds. */
  condition?: string;
  /** Written as given (markers included). */
  metadata: Record<string, unknown>;
  [field: string]: unknown;
}

/** An object written as given: cdk8s' own metadata model would copy maps and break markers standing for one. */
export class HelmObject extends ApiObject {
  private readonly rawMetadata: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: HelmObjectProps) {
    const { condition, metadata, apiVersion, kind, ...fields } = props;
    super(scope, id, { apiVersion, kind, ...fields });
    if (condition) when(this, condition);
    this.rawMetadata = { ...metadata };
  }

  override toJson(): JsonObject {
    const json = super.toJson() as JsonObject;
    return { ...json, metadata: JSON.parse(JSON.stringify(this.rawMetadata)) as JsonObject };
  }
}
