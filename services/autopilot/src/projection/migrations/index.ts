import { AutopilotProjection1763683200000 } from './1763683200000-autopilot-projection.js';

/** AUTOPILOT_MIGRATIONS lists the autopilot schema's migrations, oldest first. */
export const AUTOPILOT_MIGRATIONS = [AutopilotProjection1763683200000];
