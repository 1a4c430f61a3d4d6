// CPU time and memory of a process and all its descendants, from /proc (Linux).
// Memory is PSS (proportional set size, /proc/<pid>/smaps_rollup): a page shared by N processes counts
// 1/N in each, so a tree's sum is what it really holds. Summed RSS would count PostgreSQL's shared
// buffers once per backend.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessUsage {
  cpuSeconds: number;
  rssBytes: number;
  /** null where smaps_rollup is unreadable (kernel < 4.14, or another user's process without privileges). */
  pssBytes: number | null;
  processes: number;
}

const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

interface ProcEntry {
  pid: number;
  ppid: number;
  cpuTicks: number;
  rssPages: number;
}

function readEntry(pid: number): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      pid,
      ppid: Number(fields[1]),
      // utime + stime, plus cutime + cstime: the CPU of children it has reaped (PostgreSQL backends that
      // ended), which would otherwise vanish from the tree's total between two samples.
      cpuTicks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
      rssPages: Number(fields[21]),
    };
  } catch {
    return undefined;
  }
}

/** PSS of one process in bytes, or null when it cannot be read (it may also have exited meanwhile). */
export function readPssBytes(pid: number): number | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kib = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}

/** Usage of each root pid's whole tree (PostgreSQL runs one process per connection). */
export function processTreeUsage(
  rootPids: Record<string, number | undefined>,
  options: { memory?: boolean } = {},
): Record<string, ProcessUsage | null> {
  const entries = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readEntry(Number(name)))
    .filter((entry): entry is ProcEntry => entry !== undefined);
  const children = new Map<number, ProcEntry[]>();
  for (const entry of entries) children.set(entry.ppid, [...(children.get(entry.ppid) ?? []), entry]);
  const byPid = new Map(entries.map((entry) => [entry.pid, entry]));

  const usage: Record<string, ProcessUsage | null> = {};
  for (const [name, pid] of Object.entries(rootPids)) {
    const root = pid === undefined ? undefined : byPid.get(pid);
    if (!root) {
      usage[name] = null;
      continue;
    }
    let ticks = 0;
    let pages = 0;
    let pss: number | null = options.memory === false ? null : 0;
    let count = 0;
    const stack = [root];
    while (stack.length > 0) {
      const entry = stack.pop() as ProcEntry;
      ticks += entry.cpuTicks;
      pages += entry.rssPages;
      count += 1;
      if (pss !== null) {
        const own = readPssBytes(entry.pid);
        pss = own === null ? null : pss + own;
      }
      stack.push(...(children.get(entry.pid) ?? []));
    }
    usage[name] = { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssBytes: pages * PAGE_SIZE, pssBytes: pss, processes: count };
  }
  return usage;
}
