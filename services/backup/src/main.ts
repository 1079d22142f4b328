import 'reflect-metadata';
import { runService } from '@lnfleet/service-kit';
import { backupService } from './service.js';

await runService(backupService);
