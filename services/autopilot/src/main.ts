import 'reflect-metadata';
import { runService } from '@lnfleet/service-kit';
import { autopilotService } from './service.js';

await runService(autopilotService);
