import { describe, expect, it } from 'vitest';
import { parseProcStat, parseProcStatus } from './proc.js';

describe('/proc parsing for the fleet benchmarks', () => {
  it('reads ppid and CPU ticks of a stat line counted from the last parenthesis', () => {
    // Tried: a command name with spaces and parentheses, as a Postgres backend's title can be.
    const line = '4242 (postgres: (x) y) S 2192 4242 4242 0 -1 4194560 1219 0 0 0 37 12 5 3 20 0 1 0 9650 227651584 3521 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ pid: 4242, comm: 'postgres: (x) y', state: 'S', ppid: 2192, utime: 37, stime: 12, cutime: 5, cstime: 3 });
  });

  it('refuses a stat line that is cut short rather than reading zeros', () => {
    expect(() => parseProcStat('12 (node) S 1 12')).toThrow('field 14');
    expect(() => parseProcStat('garbage')).toThrow('not a /proc stat line');
  });

  it('reads peak and current resident memory in bytes from a status file', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t   81920 kB\nVmRSS:\t   40960 kB\nThreads:\t11\n';
    expect(parseProcStatus(status)).toEqual({ peakRssBytes: 81920 * 1024, rssBytes: 40960 * 1024 });
    expect(() => parseProcStatus('Name:\tkthreadd\n')).toThrow('VmHWM');
  });
});
