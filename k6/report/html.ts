// Safe HTML building: every string is escaped unless it is wrapped with raw() (markup this code made).

export interface Raw {
  readonly __html: string;
}

export type Content = string | Raw | Content[];

export function raw(html: string): Raw {
  return { __html: html };
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function render(content: Content): string {
  if (Array.isArray(content)) return content.map(render).join("");
  return typeof content === "string" ? escapeHtml(content) : content.__html;
}

/** An element: attribute values and text children are escaped. */
export function h(tag: string, attributes: Record<string, string | undefined> | null, ...children: Content[]): Raw {
  const attrs = Object.entries(attributes ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join("");
  return raw(`<${tag}${attrs}>${render(children)}</${tag}>`);
}

/** JSON for a <script type="application/json"> element: nothing in it can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** JavaScript source for an inline <script>: "</script" cannot end the element early. */
export function scriptSource(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}
