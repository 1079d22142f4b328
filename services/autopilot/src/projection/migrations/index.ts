import { AutopilotProjection1763683200000 } from './1763683200000-autopilot-projection.js';
import { PeerFitness1763769600000 } from './1763769600000-peer-fitness.js';

/** AUTOPILOT_MIGRATIONS lists the autopilot schema's migrations, oldest first. */
export const AUTOPILOT_MIGRATIONS = [AutopilotProjection1763683200000, PeerFitness1763769600000];
