// Helm template expressions inside cdk8s manifests.
//
// The constructs build ordinary Kubernetes objects with cdk8s; wherever a value must come from
// values.yaml (or a field exists only under a condition) they put a *marker* here instead of a
// literal. Markers are plain strings (values, map keys), so they survive cdk8s' resolution and
// sanitising untouched; `render-template.ts` turns them into `{{ … }}` when it writes the template
// files. Every expression uses `$` (the root context), never `.`, so markers nest safely inside
// `range` and `with` blocks.

const MARK = "@@helm:";

export type Directive =
  /** A scalar: verbatim template text, e.g. `{{ int64 $.Values.replicaCount }}`. Must render plain-safe. */
  | { t: "raw"; v: string }
  /** A literal block scalar (`|-`) whose lines may contain template expressions. */
  | { t: "text"; v: string }
  /** `key:` followed by `toYaml <e>`, for maps and lists taken whole from values. */
  | { t: "block"; e: string }
  /** Like block, but the key is written only when `<e>` is non-empty. */
  | { t: "opt"; e: string }
  /** A map key present only when `<c>` holds, or a list item present only when `<c>` holds. */
  | { t: "if"; c: string; k?: string }
  /** A list item repeated for each element: `range <c>`. */
  | { t: "range"; c: string }
  /** The entries (map) or items (list) of `<e>`, merged in place when non-empty. */
  | { t: "splice"; e: string };

const encode = (directive: Directive): string => MARK + JSON.stringify(directive);

export function decode(text: string): Directive | undefined {
  return text.startsWith(MARK) ? (JSON.parse(text.slice(MARK.length)) as Directive) : undefined;
}

/** `$.Values.<path>` */
export const values = (path: string): string => `$.Values.${path}`;

export const tpl = {
  /** Verbatim template text as a scalar. The caller guarantees it renders as a plain YAML scalar. */
  raw: (text: string): string => encode({ t: "raw", v: text }),
  /** `{{ <expr> }}` */
  expr: (expr: string): string => encode({ t: "raw", v: `{{ ${expr} }}` }),
  /** `{{ <expr> | quote }}`: any value as a YAML string. */
  quote: (expr: string): string => encode({ t: "raw", v: `{{ ${expr} | quote }}` }),
  /** `{{ int64 <expr> }}`: values.yaml numbers are float64 in Helm; int64 keeps 1000000 from printing as 1e+06. */
  int: (expr: string): string => encode({ t: "raw", v: `{{ int64 ${expr} }}` }),
  /** `{{ int64 <expr> | quote }}` */
  intString: (expr: string): string => encode({ t: "raw", v: `{{ int64 ${expr} | quote }}` }),
  /** A literal block scalar holding template text (PromQL with release names, scripts). */
  text: (text: string): string => encode({ t: "text", v: text }),
  /** The whole value of a key taken from an expression (a map or a list), via toYaml. */
  block: (expr: string): string => encode({ t: "block", e: expr }),
  /** Like block, but the key is left out when the expression is empty. */
  optional: (expr: string): string => encode({ t: "opt", e: expr }),
  /** Map entries present only when `condition` holds: spread the result into the map. */
  when: (condition: string, entries: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(entries).map(([key, value]) => [encode({ t: "if", c: condition, k: key }), value])),
  /** A list item present only when `condition` holds. */
  item: (condition: string, item: unknown): Record<string, unknown> => ({ [encode({ t: "if", c: condition })]: item }),
  /** A list item repeated by `range <clause>`, e.g. `$port := $.Values.x.ports`. */
  each: (clause: string, item: unknown): Record<string, unknown> => ({ [encode({ t: "range", c: clause })]: item }),
  /** Map entries or list items from an expression, merged in place (nothing when empty). */
  splice: (expr: string): Record<string, unknown> => ({ [encode({ t: "splice", e: expr })]: true }),
};

/** `include "otp-service.<name>" $` */
export const include = (name: string, context = "$"): string => `include "otp-service.${name}" ${context}`;

/** Seconds, rounded up, from a milliseconds value: `div (add ms 999) 1000`. */
export const ceilSeconds = (millisecondsExpr: string): string => `(div (add (int64 ${millisecondsExpr}) 999) 1000)`;
