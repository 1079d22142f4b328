import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runService } from '@lnfleet/service-kit';
import { autopilotService } from './service.js';

// Without AUTOPILOT_GRAPH_FILE, use the shared describegraph snapshot next to the repository when
// there is one (as the benchmarks do), so `npm start` works on the development machines. Set to
// the empty string, it means no file: decide on the gateway's graph snapshots only.
const SHARED_GRAPH = fileURLToPath(new URL('../../../../shared/data/ln-graph-2025-10-25.json.gz', import.meta.url));
if (process.env.AUTOPILOT_GRAPH_FILE === undefined && existsSync(SHARED_GRAPH)) {
  process.env.AUTOPILOT_GRAPH_FILE = SHARED_GRAPH;
}

await runService(autopilotService);
