// Every subcommand, in the order `--help` lists them. Command modules are light at import time: they
// load their heavy modules (client-node, undici, tokenizer) inside run().
import type { CommandModule } from '../cli.ts';
import { restartPodsCommand } from './restart-pods.ts';
import { scrapeMetricsCommand } from './scrape-metrics.ts';
import { warmupCommand } from './warmup.ts';
import { rampLoadCommand } from './ramp-load.ts';
import { reportCommand } from './report.ts';
import { runCommand } from './run.ts';
import { demoCommand } from './demo.ts';
import { simCommand } from './sim.ts';
import { triggerCommand } from './trigger.ts';

export const COMMANDS: CommandModule[] = [
  restartPodsCommand,
  scrapeMetricsCommand,
  warmupCommand,
  rampLoadCommand,
  reportCommand,
  runCommand,
  demoCommand,
  simCommand,
  triggerCommand,
];
