import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * AutopilotProjection1763683200000 creates the autopilot projection in the service's own schema
 * (the connection's search_path): nodes with their balance, policies, channels, pending opens and
 * failures, each row with the stream sequence that last changed it. Pending opens and closed
 * channels are kept (not deleted) so a late or repeated event cannot bring them back.
 */
export class AutopilotProjection1763683200000 implements MigrationInterface {
  readonly name = 'AutopilotProjection1763683200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE autopilot_node (
        node_id         text   PRIMARY KEY,
        revision        bigint NOT NULL,
        confirmed_sat   bigint,
        unconfirmed_sat bigint,
        locked_sat      bigint,
        balance_seq     bigint
      )`);
    await queryRunner.query(`
      CREATE TABLE autopilot_policy (
        node_id     text    PRIMARY KEY,
        enabled     boolean NOT NULL,
        dry_run     boolean NOT NULL,
        constraints jsonb   NOT NULL,
        heuristics  jsonb   NOT NULL,
        seq         bigint  NOT NULL
      )`);
    await queryRunner.query('CREATE INDEX autopilot_policy_enabled ON autopilot_policy (node_id) WHERE enabled');
    await queryRunner.query(`
      CREATE TABLE autopilot_channel (
        node_id           text   NOT NULL,
        channel_point     text   NOT NULL,
        peer              text   NOT NULL,
        capacity_sat      bigint NOT NULL,
        local_balance_sat bigint NOT NULL,
        status            text   NOT NULL CHECK (status IN ('pending', 'open', 'closed')),
        seq               bigint NOT NULL,
        PRIMARY KEY (node_id, channel_point)
      )`);
    await queryRunner.query(`
      CREATE TABLE autopilot_pending_open (
        node_id    text        NOT NULL,
        command_id text        NOT NULL,
        peer       text        NOT NULL,
        amount_sat bigint      NOT NULL,
        expires_at timestamptz NOT NULL,
        status     text        NOT NULL CHECK (status IN ('in-flight', 'requested', 'failed', 'expired')),
        seq        bigint      NOT NULL,
        PRIMARY KEY (node_id, command_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE autopilot_failure (
        node_id      text        NOT NULL,
        peer         text        NOT NULL,
        attempts     integer     NOT NULL,
        failed_until timestamptz NOT NULL,
        seq          bigint      NOT NULL,
        PRIMARY KEY (node_id, peer)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['autopilot_failure', 'autopilot_pending_open', 'autopilot_channel', 'autopilot_policy', 'autopilot_node']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
