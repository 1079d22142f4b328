import 'reflect-metadata';
import { runService } from '@lnfleet/service-kit';
import { nodeGatewayService } from './service.js';

await runService(nodeGatewayService);
