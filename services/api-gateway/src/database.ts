import { GATEWAY_MIGRATIONS } from './deliveries/migrations.js';
import { GATEWAY_ENTITIES } from './entities/index.js';

/** The gateway schema as `openDatabase` takes it: migrations and entities together, so no opener forgets the entities its reads need. */
export const GATEWAY_DATABASE = { schema: 'gateway', migrations: GATEWAY_MIGRATIONS, entities: GATEWAY_ENTITIES };
