import { DatabaseEnv, envVariableNames, NatsEnv } from '@lnfleet/config';
import { HttpEnv } from '@lnfleet/service-kit';
import { AutopilotEnv } from './decisions/config.js';

/** autopilotEnvVariables is every environment variable the autopilot reads (k8s/ and deploy/ are checked against it). */
export const autopilotEnvVariables: readonly string[] = envVariableNames(NatsEnv, DatabaseEnv, HttpEnv, AutopilotEnv);
