import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * BackupProjection1763769600000 creates the backup service's tables in its own schema (the
 * connection's search_path):
 *
 * - `backup_node`: one row per managed node: how many channel-set versions were made, the newest
 *   snapshot applied (its sequence and listed channel points), and the last own backup taken.
 * - `backup_channel`: every channel point the node's events named, with its facts as JSON (the
 *   channel-set record) and its phase; closed channels stay so late events cannot revive them.
 * - `backup_version`: every channel-set version kept: content hash, size, channel count, the
 *   events-stream sequence it reflects, when it was stored, and the encrypted file itself.
 * - `backup_own`: every version of the node's own packed backup, verbatim.
 */
export class BackupProjection1763769600000 implements MigrationInterface {
  readonly name = 'BackupProjection1763769600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE backup_node (
        node_id              text    PRIMARY KEY,
        channel_set_version  integer NOT NULL,
        snapshot_seq         bigint,
        snapshot_points      jsonb,
        own_version          integer NOT NULL,
        own_seq              bigint,
        own_hash             text,
        last_seq             bigint  NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE backup_channel (
        node_id       text   NOT NULL,
        channel_point text   NOT NULL,
        phase         text   NOT NULL,
        record        jsonb  NOT NULL,
        last_seq      bigint NOT NULL,
        PRIMARY KEY (node_id, channel_point)
      )`);
    await queryRunner.query(`
      CREATE TABLE backup_version (
        node_id       text        NOT NULL,
        version       integer     NOT NULL CHECK (version > 0),
        content_hash  text        NOT NULL,
        size_bytes    integer     NOT NULL,
        channel_count integer     NOT NULL,
        stream_seq    bigint      NOT NULL,
        created_at    timestamptz NOT NULL,
        file          bytea       NOT NULL,
        PRIMARY KEY (node_id, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE backup_own (
        node_id        text        NOT NULL,
        version        integer     NOT NULL CHECK (version > 0),
        content_hash   text        NOT NULL,
        size_bytes     integer     NOT NULL,
        channel_count  integer     NOT NULL,
        channel_points jsonb       NOT NULL,
        stream_seq     bigint      NOT NULL,
        created_at     timestamptz NOT NULL,
        packed         bytea       NOT NULL,
        PRIMARY KEY (node_id, version)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['backup_own', 'backup_version', 'backup_channel', 'backup_node']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
