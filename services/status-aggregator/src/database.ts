import { STATUS_ENTITIES } from './entities/index.js';
import { STATUS_MIGRATIONS } from './migrations.js';

/** The status schema as `openDatabase` takes it: migrations and entities together, so no opener forgets the entities its reads need. */
export const STATUS_DATABASE = { schema: 'status', migrations: STATUS_MIGRATIONS, entities: STATUS_ENTITIES };
