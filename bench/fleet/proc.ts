import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time and memory of processes, read from Linux's /proc: the office, the device workers and
 * the Postgres backends are other processes than the benchmark, so their own counters are the
 * only honest account of what they spent.
 */

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** CPU time in clock ticks: user and system of the process itself (all its threads)... */
  utime: number;
  stime: number;
  /** ...and of its children it has waited for (exited backends, for the postmaster). */
  cutime: number;
  cstime: number;
}

/**
 * Parses /proc/<pid>/stat. The command name is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  // Fields after the name, numbered from 3 (state) as in proc(5).
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const field = (number: number): number => {
    const value = Number(rest[number - 3]);
    if (!Number.isFinite(value)) throw new Error(`/proc stat field ${number} is missing or not a number: ${text.slice(0, 80)}`);
    return value;
  };
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
  };
}

export interface ProcMemory {
  /** Peak resident set size over the process's life (VmHWM), bytes. */
  peakRssBytes: number;
  /** Resident set size now (VmRSS), bytes. */
  rssBytes: number;
}

/** VmHWM and VmRSS from /proc/<pid>/status (given in kB there). */
export function parseProcStatus(text: string): ProcMemory {
  const kib = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    if (!match) throw new Error(`/proc status has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { peakRssBytes: kib('VmHWM'), rssBytes: kib('VmRSS') };
}

let ticksPerSecond: number | null = null;

/** The kernel's clock tick (USER_HZ) that /proc counts CPU time in; 100 on every Linux we run. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2_000 }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export function ticksToMs(ticks: number): number {
  return (ticks * 1000) / clockTicksPerSecond();
}

/** The process's stat, or null once it is gone. */
export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** User + system CPU of the process itself in ms, or null once it is gone. */
export function readCpuMs(pid: number): number | null {
  const stat = readProcStat(pid);
  return stat ? ticksToMs(stat.utime + stat.stime) : null;
}

export function readMemory(pid: number): ProcMemory | null {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * CPU in ms spent by a process tree rooted at `rootPid` (the postmaster): its own time, what its
 * exited children left in its cutime/cstime, and the live children's own time. The difference of
 * two readings is everything the tree spent in between, backends that came and went included.
 */
export function readTreeCpuMs(rootPid: number): number | null {
  const root = readProcStat(rootPid);
  if (!root) return null;
  let ticks = root.utime + root.stime + root.cutime + root.cstime;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const child = readProcStat(Number(name));
    if (child && child.ppid === rootPid) ticks += child.utime + child.stime;
  }
  return ticksToMs(ticks);
}
