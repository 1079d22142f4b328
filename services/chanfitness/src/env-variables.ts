import { DatabaseEnv, envVariableNames, NatsEnv } from '@lnfleet/config';
import { HttpEnv } from '@lnfleet/service-kit';
import { ChanfitnessEnv } from './config.js';

/**
 * chanfitnessEnvVariables is every environment variable chanfitness reads (k8s/ and deploy/ are
 * checked against it). NODE_OPTIONS is read by node itself: the service is deployed with
 * `--max-semi-space-size=64` (see the README's performance section).
 */
export const chanfitnessEnvVariables: readonly string[] = [...envVariableNames(NatsEnv, DatabaseEnv, HttpEnv, ChanfitnessEnv), 'NODE_OPTIONS'];
