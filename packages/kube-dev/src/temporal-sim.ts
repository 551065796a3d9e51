import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindingOf } from '@jangar/contracts';
import { z } from 'zod';
import { sendJson } from './http-util.js';
import { isJsonObject } from './json.js';
import type { ResourceDefinition, ResourceRegistry } from './resources.js';
import { SIMULATED_KINDS } from './simulator.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';

/** The one Temporal HTTP API call simulated: DescribeWorkflowExecution. */
const DESCRIBE_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/workflows\/([^/]+)$/;

/** What the simulation reads of a `temporal` binding's config. */
const TemporalConfig = z.object({
  namespace: z.string().min(1).default('default'),
  taskQueue: z.string().optional(),
  workflowType: z.string().optional(),
  workflowId: z.string().min(1),
});

/** The Temporal status of a run's workflow in each simulated phase; Pending means not started yet. */
const STATUS_OF_PHASE: Record<string, string> = {
  Running: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
  Succeeded: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
  Failed: 'WORKFLOW_EXECUTION_STATUS_FAILED',
  Cancelled: 'WORKFLOW_EXECUTION_STATUS_CANCELED',
};

/** The Temporal workflow status a run in `phase` has, or undefined while the workflow has not started. */
export function temporalStatusOfPhase(phase: string | undefined): string | undefined {
  if (phase === undefined || phase === '' || phase === 'Pending') return undefined;
  return STATUS_OF_PHASE[phase] ?? 'WORKFLOW_EXECUTION_STATUS_RUNNING';
}

/** An answer of the simulated API: status code and JSON body, as Temporal's grpc-gateway writes them. */
export interface TemporalAnswer {
  code: number;
  body: unknown;
}

const grpcError = (code: number, grpcCode: number, message: string): TemporalAnswer => ({
  code,
  body: { code: grpcCode, message, details: [] },
});

const keyOf = (namespace: string, workflowId: string) => `${namespace}\u0000${workflowId}`;

/**
 * Temporal's HTTP API (`GET /api/v1/namespaces/{namespace}/workflows/{workflowId}`) answered from
 * the simulated runs: the run whose `temporal` binding names that namespace and workflow id is the
 * workflow execution, its phase the execution's status. Runs are indexed by workflow as the store
 * changes, so an answer costs a lookup, not a scan.
 */
export class TemporalSim {
  /** Workflow key → the run object's (resource, namespace, name). */
  private readonly byWorkflow = new Map<string, { res: ResourceDefinition; namespace: string; name: string; uid: string }>();
  /** Run uid → its workflow key, to drop the entry when the run goes. */
  private readonly byRun = new Map<string, string>();
  private unsubscribe: (() => void) | undefined;
  private readonly kinds: ResourceDefinition[];

  constructor(
    private readonly store: ObjectStore,
    registry: ResourceRegistry,
  ) {
    this.kinds = registry.all.filter((r) => this.isRunKind(r));
  }

  private isRunKind(res: ResourceDefinition): boolean {
    return SIMULATED_KINDS.some((k) => k.group === res.group && k.kind === res.kind);
  }

  /** Indexes the runs already stored and follows the store from now on. */
  start(): void {
    this.unsubscribe = this.store.subscribe((event) => {
      if (!this.isRunKind(event.resource)) return;
      if (event.type === 'DELETED') this.forget(event.object.metadata.uid);
      else this.index(event.resource, event.object);
    });
    for (const res of this.kinds) for (const [, obj] of this.store.scan(res)) this.index(res, obj);
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private index(res: ResourceDefinition, obj: KubeObject): void {
    const binding = bindingOf(obj);
    const config = binding?.provider === 'temporal' ? TemporalConfig.safeParse(binding.config) : undefined;
    if (!config?.success) return this.forget(obj.metadata.uid);
    const key = keyOf(config.data.namespace, config.data.workflowId);
    const previous = this.byRun.get(obj.metadata.uid);
    if (previous === key) return;
    if (previous !== undefined) this.forget(obj.metadata.uid);
    this.byRun.set(obj.metadata.uid, key);
    this.byWorkflow.set(key, { res, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid });
  }

  private forget(uid: string): void {
    const key = this.byRun.get(uid);
    if (key === undefined) return;
    this.byRun.delete(uid);
    if (this.byWorkflow.get(key)?.uid === uid) this.byWorkflow.delete(key);
  }

  /** DescribeWorkflowExecution: 200 with the execution's info, or 404 (gRPC NOT_FOUND) for a workflow that does not exist (yet). */
  describe(namespace: string, workflowId: string): TemporalAnswer {
    const notFound = grpcError(404, 5, `workflow not found for ID: ${workflowId}`);
    const ref = this.byWorkflow.get(keyOf(namespace, workflowId));
    const run = ref ? this.store.get(ref.res, ref.namespace, ref.name) : undefined;
    if (!run || run.metadata.uid !== ref?.uid) return notFound;
    const status = isJsonObject(run.status) ? run.status : {};
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const workflowStatus = temporalStatusOfPhase(str(status.phase));
    const parsed = TemporalConfig.safeParse(bindingOf(run)?.config);
    if (!workflowStatus || !parsed.success) return notFound;
    const config = parsed.data;
    const startTime = str(status.startedAt) ?? run.metadata.creationTimestamp;
    const closeTime = workflowStatus === 'WORKFLOW_EXECUTION_STATUS_RUNNING' ? undefined : str(status.finishedAt);
    return {
      code: 200,
      body: {
        executionConfig: { taskQueue: { name: config.taskQueue ?? '', kind: 'TASK_QUEUE_KIND_NORMAL' } },
        workflowExecutionInfo: {
          execution: { workflowId, runId: run.metadata.uid },
          type: { name: config.workflowType ?? '' },
          startTime,
          ...(closeTime ? { closeTime } : {}),
          status: workflowStatus,
          executionTime: startTime,
          taskQueue: config.taskQueue ?? '',
        },
      },
    };
  }

  /**
   * Answers `req` when its path is the simulated Temporal API's, and says whether it did. The paths
   * cannot be Kubernetes ones: the core group has no `workflows` resource.
   */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const match = DESCRIBE_PATH.exec(pathname);
    if (!match) return false;
    let answer: TemporalAnswer;
    if (req.method !== 'GET' && req.method !== 'HEAD') answer = grpcError(405, 12, 'Method Not Allowed');
    else {
      try {
        answer = this.describe(decodeURIComponent(match[1] as string), decodeURIComponent(match[2] as string));
      } catch {
        answer = grpcError(400, 3, 'the path is not validly encoded');
      }
    }
    sendJson(res, answer.code, answer.body);
    return true;
  }
}
