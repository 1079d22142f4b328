import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * FitnessLog1767225600000 creates the chanfitness projection in the service's own schema:
 *
 * - `fitness_event`: every fitness event of every node once (keyed by node and message id), with
 *   its time and stream sequence. A node's state is the fold of its rows in log order
 *   `(occurred_ms, stream_seq)`, so a late or repeated delivery changes nothing but the place the
 *   event takes. A node's rows are found through the primary key's node_id prefix and sorted on
 *   read (a few hundred rows); a second index in log order would cost a quarter of the write rate.
 * - `fitness_node`: one row per node with a version that grows with every change to its log, so
 *   replicas can tell whether a node state they hold in memory is current.
 * - `peer_fitness_status`: the last fitness verdict published per peer, so a verdict is
 *   published when it changes and not on every event.
 */
export class FitnessLog1767225600000 implements MigrationInterface {
  readonly name = 'FitnessLog1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE fitness_event (
        node_id     text   NOT NULL,
        message_id  text   NOT NULL,
        stream_seq  bigint NOT NULL,
        occurred_ms bigint NOT NULL,
        type        text   NOT NULL,
        message     jsonb  NOT NULL,
        PRIMARY KEY (node_id, message_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE fitness_node (
        node_id          text   PRIMARY KEY,
        version          bigint NOT NULL,
        events           bigint NOT NULL,
        last_occurred_ms bigint NOT NULL,
        last_stream_seq  bigint NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE peer_fitness_status (
        node_id      text   NOT NULL,
        peer         text   NOT NULL,
        reasons      text[] NOT NULL,
        evaluated_ms bigint NOT NULL,
        message_id   text   NOT NULL,
        PRIMARY KEY (node_id, peer)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE peer_fitness_status');
    await queryRunner.query('DROP TABLE fitness_node');
    await queryRunner.query('DROP TABLE fitness_event');
  }
}
