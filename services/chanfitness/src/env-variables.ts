import { DatabaseEnv, envVariableNames, NatsEnv } from '@lnfleet/config';
import { HttpEnv } from '@lnfleet/service-kit';
import { ChanfitnessEnv } from './config.js';

/** chanfitnessEnvVariables is every environment variable chanfitness reads (k8s/ and deploy/ are checked against it). */
export const chanfitnessEnvVariables: readonly string[] = envVariableNames(NatsEnv, DatabaseEnv, HttpEnv, ChanfitnessEnv);
