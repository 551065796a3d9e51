import { findOrInstallTool, type FindToolOptions } from './debian-tool.js';

/** Options for {@link findOrInstallNatsServer}. */
export type FindNatsOptions = FindToolOptions;

const NATS_SERVER = {
  binary: 'nats-server',
  debianPackage: 'nats-server',
  envOverride: 'NATS_SERVER_BIN',
  advice:
    'Install it (Debian/Ubuntu: `sudo apt-get install nats-server`; or a release from https://github.com/nats-io/nats-server/releases), ' +
    'point NATS_SERVER_BIN at the binary, or set NATS_URL to use an existing server.',
};

/** Returns the absolute path of a nats-server binary (NATS_SERVER_BIN, PATH, sbin dirs), installing the Debian package as root if it is missing. */
export function findOrInstallNatsServer(opts: FindNatsOptions = {}): Promise<string> {
  return findOrInstallTool(NATS_SERVER, opts);
}
