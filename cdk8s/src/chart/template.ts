// One cdk8s Chart per Helm template file, and ApiObjects that may exist only under a condition.
import { ApiObject, Chart, JsonPatch } from "cdk8s";
import type { Construct } from "constructs";
import { type JsonObject, renderTemplateFile, type TemplateDocument } from "../render-template.ts";

// cdk8s' Chart and ApiObject answer `instanceof` for any chart or object (Symbol.hasInstance), so
// subclasses are told apart by a brand instead.
const HELM_TEMPLATE = Symbol.for("otp-lab.HelmTemplate");
const HELM_OBJECT = Symbol.for("otp-lab.HelmObject");

export const isHelmTemplate = (value: unknown): value is HelmTemplate =>
  typeof value === "object" && value !== null && HELM_TEMPLATE in value;
const isHelmObject = (value: unknown): value is HelmObject => typeof value === "object" && value !== null && HELM_OBJECT in value;

// cdk8s-plus' generated classes re-serialise their JSON through typed functions after
// ApiObject.addJsonPatch has run, dropping marker keys and failing on marker strings where a list
// belongs; these patches apply after that.
const AFTER_SERIALISING = new WeakMap<ApiObject, JsonPatch[]>();
export const patchAfterSerialising = (object: ApiObject, ...patches: JsonPatch[]) =>
  AFTER_SERIALISING.set(object, [...(AFTER_SERIALISING.get(object) ?? []), ...patches]);

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
    const documents: TemplateDocument[] = this.node
      .findAll()
      .filter((child) => ApiObject.isApiObject(child))
      .map((object) => {
        const patches = AFTER_SERIALISING.get(object) ?? [];
        return {
          condition: isHelmObject(object) ? object.condition : undefined,
          body: JsonPatch.apply(object.toJson(), ...patches) as JsonObject,
        };
      });
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

export class HelmObject extends ApiObject {
  readonly condition: string | undefined;
  // cdk8s' own metadata model copies labels and annotations into new maps, which would break
  // markers standing for a whole map; the object keeps its metadata as given instead.
  private readonly rawMetadata: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: HelmObjectProps) {
    const { condition, metadata, apiVersion, kind, ...fields } = props;
    super(scope, id, { apiVersion, kind, ...fields });
    Object.defineProperty(this, HELM_OBJECT, { value: true });
    this.condition = condition;
    this.rawMetadata = { ...metadata };
  }

  override toJson(): JsonObject {
    const json = super.toJson() as JsonObject;
    return { ...json, metadata: JSON.parse(JSON.stringify(this.rawMetadata)) as JsonObject };
  }
}
