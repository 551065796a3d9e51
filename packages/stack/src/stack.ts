/**
 * The whole control plane on one machine: nats-server, Postgres and the development Kubernetes
 * API server (each replaced by an external one when NATS_URL, DATABASE_URL or KUBECONFIG is set),
 * then the five services as their own processes. The development API server also simulates
 * Temporal's HTTP API, which the status-aggregator then polls for `temporal` runs. `npm start`, the
 * end-to-end tests, benchmarks and chaos runs all start Jangar through here, so they exercise the
 * same thing.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  freePort,
  signalIfAlive,
  lockFile,
  LockHeldError,
  spawnService,
  startNatsServer,
  startPostgres,
  waitFor,
  type ExitInfo,
  type FileLock,
  type NatsServerHandle,
  type ServiceProcess,
} from '@jangar/devstack';
import { Progress } from './progress.js';
import { readyTimeoutMs, simStepMs } from './settings.js';
import { buildBundles, bundleTarget } from './build.js';
import { BUNDLED_ENTRIES, KUBE_DEV_ENTRY, REPO_ROOT, SERVICE_NAMES, bundleArgs, serviceEntry, type ServiceName } from './services.js';

export interface StackOptions {
  /** Where state lives (`.jangar` for `npm start`, a temp dir in tests). */
  dataDir: string;
  /** Gateway port; 0 picks a free one. */
  httpPort?: number;
  natsUrl?: string | undefined;
  databaseUrl?: string | undefined;
  kubeconfig?: string | undefined;
  /**
   * Temporal's HTTP API, which the status-aggregator polls for `temporal` runs. Defaults to the
   * simulated one of the stack's own development API server; with an external cluster, none.
   */
  temporalUrl?: string | undefined;
  /** Variables for every service process. */
  env?: Record<string, string>;
  /** Variables for one service's processes. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** How many processes of each service (default 1). */
  replicas?: Partial<Record<ServiceName, number>>;
  /** Pace of kube-dev's simulated runtime; default `JANGAR_SIM_STEP_MS`, else 300 ms. */
  simStepMs?: number;
  devToken?: string;
  log?: (line: string) => void;
  /** How long each process (nats-server and Postgres included) may take to become ready; default `JANGAR_READY_TIMEOUT_MS`, else 90 s. */
  readyTimeoutMs?: number;
  /** The data directory's lock, taken already with {@link lockStackDir}; the stack then owns it. Taken here when omitted. */
  lock?: FileLock;
  /** Abandons the start: what was started is stopped, and startStack rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A process of the stack that exited when nothing had asked it to. */
export interface StackFailure {
  /** As in the stack's messages: a service (`policy-1` for a second replica), `kube-dev`, `nats-server` or `postgres`. */
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Where its output went. */
  logFile: string;
}

/** A dependency that can be frozen: its processes stopped with SIGSTOP, so it hangs instead of failing. */
export type FreezeTarget = 'postgres' | 'nats-server' | 'kube-dev';

interface Instance {
  proc: ServiceProcess;
  healthPort: number;
}

export interface Stack {
  /** The first gateway process's base URL. */
  readonly gatewayUrl: string;
  /**
   * Every gateway process's base URL, the first's first. Each replica has a port of its own, kept
   * across restarts; a client spreads its requests over them, as a load balancer would.
   */
  readonly gatewayUrls: readonly string[];
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly kubeconfig: string;
  readonly dataDir: string;
  readonly devToken: string;
  /**
   * Settles (never rejects) with the first process that exits unasked: a crash, or a kill from outside.
   * Exits through stop(), kill(), restart(), stopPostgres() and killNats() are asked for.
   */
  readonly failed: Promise<StackFailure>;
  /** Running processes of a service. */
  processes(name: ServiceName): ServiceProcess[];
  /** Base URL of one process's health server (`/livez`, `/readyz`, `/metrics`); it changes on restart. */
  healthUrl(name: ServiceName, index?: number): string;
  /** Kills one process of a service (SIGKILL by default), for crash tests. */
  kill(name: ServiceName, index?: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a service's processes again (with `env` replacing its per-service variables) and waits until they are ready. */
  restart(name: ServiceName, env?: Record<string, string>): Promise<void>;
  /** Starts one process of a service again, after {@link kill}, and waits until it is ready; the other replicas run on. */
  revive(name: ServiceName, index: number): Promise<void>;
  /** Stops the embedded Postgres (as a crash would: services see connection errors). */
  stopPostgres(): Promise<void>;
  /** Starts the embedded Postgres again on the same port and data. */
  startPostgres(): Promise<void>;
  /** SIGKILLs the development Kubernetes API server and waits until it is gone (watches break, calls are refused). */
  killKubeDev(): Promise<void>;
  /** Starts the development API server again on the same port and journal; clients reconnect on their own. */
  startKubeDev(): Promise<void>;
  /** SIGKILLs the stack's nats-server and waits until it is gone (services see a lost connection). */
  killNats(): Promise<void>;
  /** Starts nats-server again on the same port and JetStream store; services reconnect on their own. */
  startNats(): Promise<void>;
  /**
   * Freezes a dependency with SIGSTOP (Postgres: the postmaster and every backend): its connections
   * stay open and nothing answers, as in a partition, a stalled disk or a failover in progress.
   */
  freeze(target: FreezeTarget): Promise<void>;
  /** Lets a frozen dependency go on (SIGCONT). */
  thaw(target: FreezeTarget): void;
  /** Stops every process this stack started, services first, and releases the data directory. */
  stop(): Promise<void>;
}

/** The lock that keeps a second stack off a data directory in use: it holds the launcher's pid. */
export function stackLockFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'stack.lock');
}

/** Takes the data directory for a stack, or fails naming the stack that runs on it. */
export async function lockStackDir(dataDir: string): Promise<FileLock> {
  try {
    return await lockFile(stackLockFile(dataDir));
  } catch (err) {
    if (!(err instanceof LockHeldError)) throw err;
    throw new Error(
      `another Jangar stack (pid ${err.holder.pid}) is running on the data directory ${dataDir}. ` +
        'Stop it first, or set JANGAR_DATA_DIR to start one on another directory.',
      { cause: err },
    );
  }
}

/** Waits until `url` answers 2xx; gives up at once, with the process's last output, if it exits. */
async function waitHealthy(
  what: string,
  proc: ServiceProcess,
  url: string,
  timeoutMs: number,
  abandoned: AbortSignal | undefined,
): Promise<void> {
  const exited = new AbortController();
  void proc.exited.then((info) => exited.abort(new Error(`it exited (code ${info.code}, signal ${info.signal}):\n${proc.recentOutput()}`)));
  await waitFor(
    what,
    async () => {
      // A failed fetch or a "not ready" throws, so a timeout says what the last probe met: which
      // check a service still failed (its /readyz lists them), or that nothing answered.
      const res = await fetch(url);
      if (res.ok) return true;
      throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    },
    { timeoutMs, intervalMs: 100, signal: abandoned ? AbortSignal.any([exited.signal, abandoned]) : exited.signal },
  );
}

/** Starts the control plane and resolves once every part reports ready. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => undefined);
  const readyTimeout = readyTimeoutMs(opts);
  const progress = new Progress(log);
  const signal = opts.signal;
  // Each step starts only while the start is still wanted; what a step started is in `cleanups` by then.
  const step = <T>(name: string, fn: () => Promise<T>, detail: (value: T) => string) => {
    signal?.throwIfAborted();
    return progress.step(name, fn, detail);
  };
  const dataDir = path.resolve(opts.dataDir);
  if (opts.lock && opts.lock.file !== stackLockFile(dataDir)) {
    throw new Error(`the lock ${opts.lock.file} given to startStack is not ${stackLockFile(dataDir)}`);
  }
  const logs = path.join(dataDir, 'logs');
  await mkdir(logs, { recursive: true });
  // Before anything starts: a second launcher on the same directory would stop the running one's
  // nats-server and Postgres as leftovers, and kube-dev's journal compaction would race the other's.
  const lock = opts.lock ?? (await lockStackDir(dataDir));
  const cleanups: Array<() => Promise<void>> = [() => lock.release()];
  let stopping = false;
  // Processes (or server handles) whose exit was asked for; any other exit is a failure of the stack.
  const asked = new WeakSet<object>();
  let reportFailure: (failure: StackFailure) => void = () => undefined;
  const failed = new Promise<StackFailure>((resolve) => (reportFailure = resolve));
  const watch = (handle: object, name: string, exited: Promise<ExitInfo>, logFile: string) => {
    void exited.then(({ code, signal }) => {
      if (stopping || asked.has(handle)) return;
      log(`${name} exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}); its log is ${logFile}`);
      reportFailure({ name, code, signal, logFile });
    });
  };
  // How to let each frozen target go on; thawed before anything is stopped, or a stop would wait on it.
  const frozen = new Map<FreezeTarget, () => void>();
  const thaw = (target: FreezeTarget) => {
    frozen.get(target)?.();
    frozen.delete(target);
  };
  const stopAll = async () => {
    stopping = true;
    for (const target of [...frozen.keys()]) thaw(target);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };

  try {
    // Always from the current sources: a bundle left from another checkout must not run.
    await step(
      'build',
      () => buildBundles(BUNDLED_ENTRIES.map(bundleTarget)),
      () => `${BUNDLED_ENTRIES.length} bundles`,
    );
    let nats: NatsServerHandle | undefined;
    const natsOptions = {
      storeDir: path.join(dataDir, 'nats'),
      logFile: path.join(logs, 'nats-server.log'),
      log,
      startTimeoutMs: readyTimeout,
    };
    const natsUrl =
      opts.natsUrl ??
      (await step(
        'nats-server',
        async () => {
          nats = await startNatsServer(natsOptions);
          watch(nats, 'nats-server', nats.exited, natsOptions.logFile);
          cleanups.push(() => nats?.stop() ?? Promise.resolve());
          return nats.url;
        },
        (url) => `${url} (JetStream, data in ${path.relative(REPO_ROOT, path.join(dataDir, 'nats')) || dataDir})`,
      ));

    let pg: Awaited<ReturnType<typeof startPostgres>> | undefined;
    const pgOptions = {
      dataDir: path.join(dataDir, 'postgres'),
      logFile: path.join(logs, 'postgres.log'),
      log,
      startTimeoutMs: readyTimeout,
    };
    const databaseUrl =
      opts.databaseUrl ??
      (await step(
        'postgres',
        async () => {
          pg = await startPostgres({ ...pgOptions, signal });
          watch(pg, 'postgres', pg.exited, pgOptions.logFile);
          cleanups.push(() => pg?.stop() ?? Promise.resolve());
          return pg.url;
        },
        (url) => `127.0.0.1:${new URL(url).port} (embedded, database ${new URL(url).pathname.slice(1)})`,
      ));

    let kubeDev: { proc: ServiceProcess; port: number } | undefined;
    const kubeconfigFile = path.join(dataDir, 'kubeconfig');
    const kubeDevLog = path.join(logs, 'kube-dev.log');
    // The same port, journal and kubeconfig on every start, so a restart is what clients see of an API server's.
    const launchKubeDev = async (port: number) => {
      const proc = await spawnService({
        name: 'kube-dev',
        command: process.execPath,
        args: bundleArgs(bundleTarget(KUBE_DEV_ENTRY).outfile),
        cwd: REPO_ROOT,
        logFile: kubeDevLog,
        // A launcher killed with -9 runs no cleanup; this child then stops on its own.
        exitWithParent: true,
        env: {
          KUBE_DEV_PORT: String(port),
          KUBE_DEV_STATE_FILE: path.join(dataDir, 'kube', 'state.jsonl'),
          KUBE_DEV_KUBECONFIG: kubeconfigFile,
          JANGAR_SIM_STEP_MS: String(simStepMs(opts)),
        },
      });
      kubeDev = { proc, port };
      watch(proc, 'kube-dev', proc.exited, kubeDevLog);
      await waitHealthy('the development Kubernetes API server', proc, `http://127.0.0.1:${port}/readyz`, readyTimeout, signal);
    };
    const kubeconfig =
      opts.kubeconfig ??
      (await step(
        'kubernetes',
        async () => {
          cleanups.push(async () => void (await kubeDev?.proc.stop()));
          await launchKubeDev(await freePort());
          return kubeconfigFile;
        },
        (file) => `development API server (kubeconfig ${path.relative(REPO_ROOT, file) || file})`,
      ));
    const kubeDevUrl = kubeDev && `http://127.0.0.1:${kubeDev.port}`;

    const devToken = opts.devToken ?? 'dev';
    const httpPort = opts.httpPort === undefined || opts.httpPort === 0 ? await freePort() : opts.httpPort;
    const instances = new Map<ServiceName, Instance[]>();
    // Node 20 has no SO_REUSEPORT, so gateway replicas cannot share one port: each keeps its own.
    const gatewayPorts = [httpPort];
    const gatewayPort = async (index: number) => (gatewayPorts[index] ??= await freePort());
    const baseEnv = { NATS_URL: natsUrl, DATABASE_URL: databaseUrl, KUBECONFIG: kubeconfig, JANGAR_DEV_TOKEN: devToken, ...opts.env };

    // What a service gets unless `env` or `serviceEnv` say otherwise (they win, and survive restarts).
    const temporalUrl = opts.temporalUrl ?? kubeDevUrl;
    const defaultServiceEnv: Partial<Record<ServiceName, Record<string, string>>> = {
      'status-aggregator': temporalUrl && opts.env?.JANGAR_TEMPORAL_URL === undefined ? { JANGAR_TEMPORAL_URL: temporalUrl } : {},
    };
    const serviceEnv = new Map(Object.entries(opts.serviceEnv ?? {}) as Array<[ServiceName, Record<string, string>]>);
    const startInstance = async (name: ServiceName, index: number): Promise<Instance> => {
      const healthPort = await freePort();
      const env: Record<string, string> = {
        ...baseEnv,
        HEALTH_PORT: String(healthPort),
        ...defaultServiceEnv[name],
        ...serviceEnv.get(name),
      };
      if (name === 'api-gateway') env.JANGAR_HTTP_PORT = String(await gatewayPort(index));
      const procName = index === 0 ? name : `${name}-${index}`;
      const logFile = path.join(logs, `${procName}.log`);
      const proc = await spawnService({
        name: procName,
        command: process.execPath,
        args: bundleArgs(bundleTarget(serviceEntry(name)).outfile),
        cwd: REPO_ROOT,
        env,
        logFile,
        exitWithParent: true,
      });
      watch(proc, procName, proc.exited, logFile);
      return { proc, healthPort };
    };
    const waitReady = (name: ServiceName, inst: Instance) =>
      waitHealthy(`${name} to be ready`, inst.proc, `http://127.0.0.1:${inst.healthPort}/readyz`, readyTimeout, signal);

    const startService = async (name: ServiceName) => {
      const count = opts.replicas?.[name] ?? 1;
      const started = await Promise.all(Array.from({ length: count }, (_, i) => startInstance(name, i)));
      instances.set(name, started);
      await Promise.all(started.map((inst) => waitReady(name, inst)));
      return started;
    };

    cleanups.push(async () => {
      await Promise.all([...instances.values()].flat().map((i) => i.proc.stop()));
    });
    await Promise.all(
      SERVICE_NAMES.map((name) =>
        step(
          name,
          () => startService(name),
          (started) => (started.length > 1 ? `${started.length} replicas ready` : 'ready'),
        ),
      ),
    );
    const gatewayUrls = (instances.get('api-gateway') ?? []).map((_, i) => `http://127.0.0.1:${gatewayPorts[i]}`);
    const gatewayUrl = gatewayUrls[0]!;
    await step(
      'readiness',
      () =>
        waitFor(
          'GET /readyz to answer 200',
          async () => {
            const res = await fetch(`${gatewayUrl}/readyz`).catch(() => undefined);
            return res?.ok ? true : undefined;
          },
          { timeoutMs: readyTimeout, signal },
        ),
      () => `${gatewayUrl}/readyz answers 200`,
    );
    signal?.throwIfAborted();

    return {
      gatewayUrl,
      gatewayUrls,
      natsUrl,
      databaseUrl,
      kubeconfig,
      dataDir,
      devToken,
      failed,
      processes: (name) => (instances.get(name) ?? []).map((i) => i.proc),
      healthUrl(name, index = 0) {
        const inst = instances.get(name)?.[index];
        if (!inst) throw new Error(`no process ${index} of ${name}`);
        return `http://127.0.0.1:${inst.healthPort}`;
      },
      async kill(name, index = 0, signal = 'SIGKILL') {
        const inst = instances.get(name)?.[index];
        if (!inst) throw new Error(`no process ${index} of ${name}`);
        asked.add(inst.proc);
        inst.proc.kill(signal);
        await inst.proc.exited;
      },
      async restart(name, env) {
        if (env) serviceEnv.set(name, env);
        await Promise.all(
          (instances.get(name) ?? []).map((i) => {
            asked.add(i.proc);
            return i.proc.stop();
          }),
        );
        await startService(name);
      },
      async revive(name, index) {
        const dead = instances.get(name)?.[index];
        if (!dead) throw new Error(`no process ${index} of ${name}`);
        asked.add(dead.proc);
        await dead.proc.stop();
        const inst = await startInstance(name, index);
        // Through the map as it is now: a restart meanwhile replaced the list, and a stop meanwhile
        // has already stopped what the list held, so the new process would be left running.
        const now = instances.get(name);
        if (stopping || !now || now[index] !== dead) {
          asked.add(inst.proc);
          await inst.proc.stop();
          throw new Error(`${name} was ${stopping ? 'stopped' : 'restarted'} while its process ${index} was being revived`);
        }
        now[index] = inst;
        await waitReady(name, inst);
      },
      async stopPostgres() {
        if (!pg) throw new Error('Postgres is external to this stack');
        asked.add(pg);
        await pg.kill();
      },
      async startPostgres() {
        if (!pg) throw new Error('Postgres is external to this stack');
        pg = await startPostgres({ ...pgOptions, port: pg.port });
        watch(pg, 'postgres', pg.exited, pgOptions.logFile);
      },
      async killKubeDev() {
        if (!kubeDev) throw new Error('the Kubernetes API server is external to this stack');
        asked.add(kubeDev.proc);
        kubeDev.proc.kill('SIGKILL');
        await kubeDev.proc.exited;
      },
      async startKubeDev() {
        if (!kubeDev) throw new Error('the Kubernetes API server is external to this stack');
        await launchKubeDev(kubeDev.port);
      },
      async freeze(target) {
        if (frozen.has(target)) return;
        if (target === 'postgres') {
          if (!pg) throw new Error('Postgres is external to this stack');
          const paused = pg;
          frozen.set(target, () => paused.resume());
          await paused.pause();
          return;
        }
        const pid = target === 'nats-server' ? nats?.pid : kubeDev?.proc.pid;
        if (pid === undefined) throw new Error(`${target} is external to this stack`);
        process.kill(pid, 'SIGSTOP');
        frozen.set(target, () => signalIfAlive(pid, 'SIGCONT'));
      },
      thaw,
      async killNats() {
        if (!nats) throw new Error('nats-server is external to this stack');
        asked.add(nats);
        nats.kill('SIGKILL');
        await nats.exited;
      },
      async startNats() {
        if (!nats) throw new Error('nats-server is external to this stack');
        nats = await startNatsServer({ ...natsOptions, port: nats.port });
        watch(nats, 'nats-server', nats.exited, natsOptions.logFile);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
