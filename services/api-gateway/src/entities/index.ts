import { Delivery, DELIVERY_STATES } from './delivery.js';

export { Delivery, DELIVERY_STATES };

/** Every table of the `gateway` schema, as the ORM knows it; a drift test holds them to the migrations. */
export const GATEWAY_ENTITIES = [Delivery];
