import type { Logger } from 'pino';
import { defaultResources } from './default-resources.js';
import { startApiServer } from './http-server.js';
import { Journal } from './journal.js';
import { ResourceRegistry } from './resources.js';
import type { ResourceDefinition } from './resources.js';
import { Simulator } from './simulator.js';
import { ObjectStore } from './store.js';
import { TemporalSim } from './temporal-sim.js';

/** Options for {@link startKubeDev}. */
export interface KubeDevOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** JSONL journal path; without it state lives in memory only. */
  stateFile?: string;
  /** Served resources; defaults to the `@jangar/contracts` kinds plus Job and Workflow. */
  resources?: ResourceDefinition[];
  /** Run simulation (on by default, 300 ms per step); `false` turns it off. */
  simulate?: false | { stepMs?: number };
  /** Events kept for watch resumption; older resourceVersions get 410 Expired. Default 10,000. */
  eventLogSize?: number;
  /** How often watches that allow bookmarks get one. Default 5,000 ms. */
  bookmarkIntervalMs?: number;
  logger?: Logger;
}

/** A running kube-dev instance. */
export interface KubeDev {
  /** The Kubernetes API; also the base URL of the simulated Temporal HTTP API (see `temporal-sim.ts`). */
  url: string;
  port: number;
  store: ObjectStore;
  registry: ResourceRegistry;
  /** Stops the simulator, ends watches, closes the server and flushes the journal. */
  close(): Promise<void>;
}

/** Starts a development Kubernetes API server for the given resources. */
export async function startKubeDev(opts: KubeDevOptions = {}): Promise<KubeDev> {
  const { logger } = opts;
  const registry = new ResourceRegistry(opts.resources ?? defaultResources());
  const store = new ObjectStore({ eventLogSize: opts.eventLogSize ?? 10_000, logger });
  const journal = opts.stateFile ? await Journal.open(opts.stateFile, store, registry, logger) : undefined;
  const simulator = opts.simulate === false ? undefined : new Simulator(store, registry, { stepMs: opts.simulate?.stepMs ?? 300, logger });
  simulator?.start();
  // Temporal's HTTP API, answered from the runs bound to `temporal`, for the status-aggregator to poll.
  const temporal = new TemporalSim(store, registry);
  temporal.start();
  let server;
  try {
    server = await startApiServer({
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 0,
      registry,
      store,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5_000,
      temporal,
      logger,
    });
  } catch (err) {
    simulator?.close();
    temporal.close();
    journal?.close();
    throw err;
  }
  const api = server;
  let closing: Promise<void> | undefined;
  return {
    url: api.url,
    port: api.port,
    store,
    registry,
    close: () => {
      closing ??= (async () => {
        simulator?.close();
        temporal.close();
        try {
          await api.close();
        } finally {
          journal?.close();
        }
      })();
      return closing;
    },
  };
}
