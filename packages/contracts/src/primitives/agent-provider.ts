import { z } from 'zod';
import { Condition, ResourceName } from '../meta.js';
import { EnvVar, SecretKeyRef } from './common.js';

/** Phases of an AgentProvider: usable by agents, or rejected by validation. */
export const AgentProviderPhase = z.enum(['Ready', 'Invalid']);
export type AgentProviderPhase = z.infer<typeof AgentProviderPhase>;

/** A file written into the runner's workspace before the binary starts; `content` may use `{{inputs.x}}`. */
const InputFile = z.strictObject({ path: z.string().min(1), content: z.string() });

/** A file the run leaves behind, published as a run artifact. */
const OutputArtifact = z.strictObject({
  name: z.string().min(1),
  key: z.string().optional(),
  path: z.string().optional(),
  url: z.string().optional(),
});

/** An environment variable filled from a Secret key. */
const SecretEnvVar = z.strictObject({ name: EnvVar.shape.name, secretRef: SecretKeyRef });

/** Spec of an AgentProvider: the CLI adapter `/usr/local/bin/agent-runner` runs, its argument and env templates. */
export const AgentProviderSpec = z.strictObject({
  binary: z.string().min(1),
  argsTemplate: z.array(z.string()).optional(),
  envTemplate: z.record(z.string(), z.string()).optional(),
  inputFiles: z.array(InputFile).optional(),
  outputArtifacts: z.array(OutputArtifact).optional(),
  secretEnv: z.array(SecretEnvVar).optional(),
  workload: z
    .strictObject({
      image: z.string().min(1).optional(),
      serviceAccountName: ResourceName.optional(),
      serviceAccountToken: z.boolean().optional(),
    })
    .optional(),
  health: z.strictObject({ capacityFailurePolicy: z.enum(['degrade', 'block']).optional() }).optional(),
});
export type AgentProviderSpec = z.infer<typeof AgentProviderSpec>;

/** Status of an AgentProvider as its controller reports it. */
export const AgentProviderStatus = z.object({
  phase: AgentProviderPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
});
export type AgentProviderStatus = z.infer<typeof AgentProviderStatus>;
