// The container's entry point: `lnfleet.mjs <command> [arguments]`.
//   node-gateway | autopilot | chanfitness | backup   run that service (its main.js, in this process)
//   provision                                         provision streams and every service's schema, then exit
//   cli <arguments>                                   the lnfleet CLI (tools/lnfleet-cli): replay <service>, audit <nodeId> --at <time>
//   help                                              this text
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SERVICES = ['node-gateway', 'autopilot', 'chanfitness', 'backup'];
const root = fileURLToPath(new URL('..', import.meta.url));
const mainOf = (service) => `${root}services/${service}/dist/main.js`;
const CLI = `${root}tools/lnfleet-cli/dist/main.js`;
const [command = 'help'] = process.argv.slice(2);

if (SERVICES.includes(command)) {
  // The service reads its own arguments from process.argv.slice(2): drop the service name.
  process.argv.splice(2, 1);
  await import(mainOf(command));
} else if (command === 'provision') {
  // One service after another: each creates or updates the streams and migrates its schema.
  for (const service of SERVICES) {
    const result = spawnSync(process.execPath, [mainOf(service), 'provision'], { stdio: 'inherit' });
    if (result.status !== 0) {
      console.error(`lnfleet: provisioning ${service} failed (${result.signal ?? `exit ${result.status}`})`);
      process.exit(result.status ?? 1);
    }
  }
  console.log('lnfleet: streams and schemas provisioned');
} else if (command === 'cli' && existsSync(CLI)) {
  // The CLI reads its arguments from process.argv.slice(2): drop `cli`.
  process.argv.splice(2, 1);
  await import(CLI);
} else {
  const known = [...SERVICES.filter((name) => existsSync(mainOf(name))), 'provision', ...(existsSync(CLI) ? ['cli'] : [])];
  const out = command === 'help' ? console.log : console.error;
  out(`usage: lnfleet <command>\n  commands: ${known.join(', ')}, help`);
  process.exit(command === 'help' ? 0 : 2);
}
