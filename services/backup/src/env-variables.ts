import { DatabaseEnv, envVariableNames, NatsEnv } from '@lnfleet/config';
import { HttpEnv } from '@lnfleet/service-kit';
import { BackupEnv } from './config.js';

/** backupEnvVariables is every environment variable the backup service reads (k8s/ and deploy/ are checked against it). */
export const backupEnvVariables: readonly string[] = envVariableNames(NatsEnv, DatabaseEnv, HttpEnv, BackupEnv);
