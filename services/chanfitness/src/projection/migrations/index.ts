import { FitnessLog1767225600000 } from './1767225600000-fitness-log.js';
import { FitnessEventFacts1767312000000 } from './1767312000000-fitness-event-facts.js';

/** CHANFITNESS_MIGRATIONS are the projection's migrations, oldest first. */
export const CHANFITNESS_MIGRATIONS = [FitnessLog1767225600000, FitnessEventFacts1767312000000];
