import { DatabaseConfig } from '@jangar/service-kit';

export const AuditConfig = DatabaseConfig;
