import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PeerFitness1763769600000 adds chanfitness's verdicts on each node's peers (PeerFitnessChanged),
 * with the derived-stream sequence of the verdict; unfit peers are not chosen.
 */
export class PeerFitness1763769600000 implements MigrationInterface {
  readonly name = 'PeerFitness1763769600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE autopilot_peer_fitness (
        node_id text    NOT NULL,
        peer    text    NOT NULL,
        fit     boolean NOT NULL,
        seq     bigint  NOT NULL,
        PRIMARY KEY (node_id, peer)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE autopilot_peer_fitness');
  }
}
