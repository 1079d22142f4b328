import { DatabaseEnv, envVariableNames, NatsEnv } from '@lnfleet/config';
import { HttpEnv } from '@lnfleet/service-kit';
import { GatewayEnv } from './config/gateway-config.js';

/**
 * nodeGatewayEnvVariables is every environment variable the node-gateway reads (k8s/ and deploy/
 * are checked against it). HOSTNAME gives a StatefulSet replica its ordinal (loadShardConfig).
 */
export const nodeGatewayEnvVariables: readonly string[] = [...envVariableNames(NatsEnv, DatabaseEnv, HttpEnv, GatewayEnv), 'HOSTNAME'].sort();
