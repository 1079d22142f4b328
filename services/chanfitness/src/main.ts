import 'reflect-metadata';
import { runService } from '@lnfleet/service-kit';
import { chanfitnessService } from './service.js';

await runService(chanfitnessService);
