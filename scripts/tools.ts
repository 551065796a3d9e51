import type { DebianTool } from '@jangar/devstack';

/** Checks docker-compose.yml without a Docker engine (`docker-compose config`). */
export const DOCKER_COMPOSE: DebianTool = {
  binary: 'docker-compose',
  debianPackage: 'docker-compose',
  advice: 'Install it (Debian/Ubuntu: `sudo apt-get install docker-compose`).',
};

/** Drives the UI's end-to-end tests through playwright-core (never a downloaded browser build). */
export const CHROMIUM: DebianTool = {
  binary: 'chromium',
  debianPackage: 'chromium',
  envOverride: 'CHROMIUM_PATH',
  advice: 'Install it (Debian/Ubuntu: `sudo apt-get install chromium`) or point CHROMIUM_PATH at a Chromium or Chrome binary.',
};
