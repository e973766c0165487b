/** A real process running `report` the way the CLI will (tests spawn it with tsx to see exit codes and stderr). */
import { Command } from 'commander';
import { registerReportCommand } from '../../src/report';

const program = new Command('agentsight');
registerReportCommand(program);
program.parse(process.argv);
