// Number, date and label formatting shared by the Markdown and HTML reports, so both show the same
// figures the same way. Every formatter takes null (not measured) and shows it as an em dash.

export const NONE = "—";

const grouped = (digits: number) => new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const FIXED = [grouped(0), grouped(1), grouped(2), grouped(3)] as const;

function fixed(value: number, digits: 0 | 1 | 2 | 3): string {
  return FIXED[digits].format(value);
}

/** Requests (or operations) per second: whole numbers with thousands separators from 100 up. */
export function formatRps(value: number | null): string {
  if (value === null) return NONE;
  const abs = Math.abs(value);
  return fixed(value, abs >= 100 || value === 0 ? 0 : abs >= 10 ? 1 : 2);
}

/** Milliseconds with a precision that suits the magnitude: 0.42, 4.20, 42.0, 420, 4,200. */
export function formatMs(value: number | null, unit = true): string {
  if (value === null) return NONE;
  const abs = Math.abs(value);
  const text = fixed(value, abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
  return unit ? `${text} ms` : text;
}

/** An error (or pass) rate from 0..1 as a percentage; tiny non-zero rates stay visible. */
export function formatRate(value: number | null): string {
  if (value === null) return NONE;
  if (value === 0) return "0%";
  const percent = value * 100;
  if (percent < 0.01) return "<0.01%";
  return `${fixed(percent, percent >= 10 ? 1 : 2)}%`;
}

export function formatCount(value: number | null): string {
  return value === null ? NONE : fixed(value, 0);
}

/** CPU in cores (1.00 = one core busy). */
export function formatCores(value: number | null): string {
  return value === null ? NONE : fixed(value, 2);
}

export function formatMiB(value: number | null): string {
  return value === null ? NONE : fixed(value, 0);
}

/** A ratio as a multiplier: ×0.42, ×1.80, ×12.5. */
export function formatRatio(value: number | null): string {
  if (value === null) return NONE;
  // Small ratios keep two significant digits: a layer at 1.5% of pgbench must not read as ×0.00.
  if (value > 0 && value < 0.1) return `×${value.toPrecision(2)}`;
  return `×${fixed(value, value >= 10 ? 1 : 2)}`;
}

export function formatGiB(value: number): string {
  return `${fixed(value, 1)} GiB`;
}

/** "2026-11-24 07:30:12 UTC" from an ISO timestamp; the input as it is when it does not parse. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "1 h 02 min", "12 min 05 s", "45 s"; null when either end does not parse or the order is wrong. */
export function formatDuration(startIso: string, endIso: string): string | null {
  const ms = new Date(endIso).getTime() - new Date(startIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return null;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h} h ${pad(m)} min`;
  if (m > 0) return `${m} min ${pad(s)} s`;
  return `${s} s`;
}

export function formatConfigValue(value: string | number | boolean): string {
  return typeof value === "string" ? value : String(value);
}
