// The `meridian` CLI: noun-verb commands over the control plane.

import { Command } from 'commander';
import { registerChaosCommands } from './commands/chaos.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerDeploymentCommands } from './commands/deployment.ts';
import { registerDnsCommands } from './commands/dns.ts';
import { registerDrillCommands } from './commands/drill.ts';
import { registerEdgeCommands } from './commands/edge.ts';
import { registerLoadCommand } from './commands/load.ts';
import { registerRegionCommands } from './commands/region.ts';
import { registerResolverCommands } from './commands/resolver.ts';
import { registerVerifyCommand } from './commands/verify.ts';
import { registerWanCommands } from './commands/wan.ts';

export function createProgram(): Command {
  const program = new Command('meridian')
    .description('Run one service in many regions: a local multi-region deployment over an emulated WAN')
    .showSuggestionAfterError()
    .showHelpAfterError('(run `meridian --help` for usage)');
  registerDeploymentCommands(program);
  registerVerifyCommand(program);
  registerChaosCommands(program);
  registerRegionCommands(program);
  registerResolverCommands(program);
  registerConfigCommands(program);
  registerWanCommands(program);
  registerEdgeCommands(program);
  registerDnsCommands(program);
  registerLoadCommand(program);
  registerDrillCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  await createProgram().parseAsync([...argv]);
}
