import { POLICY_ENTITIES } from './entities/index.js';
import { POLICY_MIGRATIONS } from './slots/migrations.js';

/** The policy schema as `openDatabase` takes it: migrations and entities together, so no opener forgets them. */
export const POLICY_DATABASE = { schema: 'policy', migrations: POLICY_MIGRATIONS, entities: POLICY_ENTITIES };
