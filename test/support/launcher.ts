// A launcher to kill: starts `<command> [args…]` as the stack starts its children (spawnService with
// exitWithParent), output to `<logFile>`, prints `CHILD <pid>` and idles until it is killed.
// Usage: node --import tsx test/support/launcher.ts <logFile> <command> [args…]
import { spawnService } from '@jangar/devstack';

const [logFile, command, ...args] = process.argv.slice(2);
if (!logFile || !command) throw new Error('usage: launcher.ts <logFile> <command> [args…]');
const child = await spawnService({ name: 'child', command, args, logFile, exitWithParent: true });
process.stdout.write(`CHILD ${child.pid}\n`);
setInterval(() => undefined, 60_000);
