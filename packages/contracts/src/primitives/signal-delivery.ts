import { z } from 'zod';
import { Condition, FreeForm, LocalRef } from '../meta.js';

/** Phases of a SignalDelivery: waiting to be delivered, delivered, or naming no valid Signal. */
export const SignalDeliveryPhase = z.enum(['Invalid', 'Pending', 'Delivered']);
export type SignalDeliveryPhase = z.infer<typeof SignalDeliveryPhase>;

/** Spec of a SignalDelivery: one firing of a Signal, with its payload. */
export const SignalDeliverySpec = z.strictObject({
  signalRef: LocalRef,
  deliveryId: z.string().min(1).max(255).optional(),
  payload: FreeForm.optional(),
});
export type SignalDeliverySpec = z.infer<typeof SignalDeliverySpec>;

/** Status of a SignalDelivery: when it was delivered. */
export const SignalDeliveryStatus = z.object({
  phase: SignalDeliveryPhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  deliveredAt: z.string().optional(),
});
export type SignalDeliveryStatus = z.infer<typeof SignalDeliveryStatus>;
