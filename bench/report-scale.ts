// Figure 3: `report` over a million request records (plus stage marks and two snapshots), run as users
// run it, in its own process pinned to the load CPU: wall time and peak RSS (/usr/bin/time -v).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GNU_TIME, maxRssMbFromTimeV, NODE, pinned, run, wallSecondsFromTimeV } from './procs.ts';
import { writeSyntheticRun } from './synthetic.ts';
import { code } from './code.ts';

export interface ReportScaleResult {
  records: number;
  fileMb: number;
  wallSeconds: number;
  peakRssMb: number | null;
  /** what report.json says it read: proves the records were all taken in */
  reportedRequests: number;
}

export async function benchReportScale(
  dir: string,
  records: number,
  cpu: number | null,
  log: (l: string) => void,
): Promise<ReportScaleResult> {
  const data = join(dir, 'report-input');
  mkdirSync(data, { recursive: true });
  log(`report: writing ${records.toLocaleString('en')} synthetic records`);
  const files = await writeSyntheticRun(data, {
    records,
    sessions: 2000,
    turns: 10,
    pods: 8,
    stages: 4,
    seed: 3,
    startMs: 1_767_225_600_000,
  });
  const outDir = join(dir, 'report-out');
  const cli = [
    code().cli,
    'report',
    '--before',
    files.before,
    '--after',
    files.after,
    '--records',
    files.records,
    '--stages-file',
    files.stages,
    '--out-dir',
    outDir,
    '--min-hit-rate',
    '0',
  ];
  const [cmd, args] = existsSync(GNU_TIME)
    ? pinned(cpu, GNU_TIME, ['-v', NODE, ...cli])
    : pinned(cpu, NODE, cli);
  log('report: running');
  const t0 = performance.now();
  // Exit 1 = a gate failed: still a finished report.
  const { stderr } = await run(cmd, args, { ok: [0, 1] });
  const wall = (performance.now() - t0) / 1000;
  const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as {
    requests: { total: number };
  };
  return {
    records,
    fileMb: Math.round(files.bytes / 1e5) / 10,
    wallSeconds: wallSecondsFromTimeV(stderr) ?? wall,
    peakRssMb: maxRssMbFromTimeV(stderr),
    reportedRequests: report.requests.total,
  };
}
