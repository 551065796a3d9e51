import type { DebianTool } from '@jangar/devstack';

/** Checks docker-compose.yml without a Docker engine (`docker-compose config`). */
export const DOCKER_COMPOSE: DebianTool = {
  binary: 'docker-compose',
  debianPackage: 'docker-compose',
  advice: 'Install it (Debian/Ubuntu: `sudo apt-get install docker-compose`).',
};
