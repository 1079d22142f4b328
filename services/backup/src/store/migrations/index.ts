import { BackupProjection1763769600000 } from './1763769600000-backup-projection.js';

/** BACKUP_MIGRATIONS are the backup schema's migrations, oldest first. */
export const BACKUP_MIGRATIONS = [BackupProjection1763769600000];
