import { AUDIT_ENTITIES } from './entities/index.js';
import { AUDIT_MIGRATIONS } from './migrations.js';

/** The audit schema as `openDatabase` takes it: migrations and entities together, so no opener forgets the entities its reads need. */
export const AUDIT_DATABASE = { schema: 'audit', migrations: AUDIT_MIGRATIONS, entities: AUDIT_ENTITIES };
