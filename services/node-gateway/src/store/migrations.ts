import type { MigrationInterface, QueryRunner } from 'typeorm';

/** CreateNodeGatewayTables1763769600000 creates the gateway's two tables in its own schema. */
export class CreateNodeGatewayTables1763769600000 implements MigrationInterface {
  name = 'CreateNodeGatewayTables1763769600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE published_node_state (
        node_id varchar(66) PRIMARY KEY,
        config_id varchar(64) NOT NULL,
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE open_channel_command (
        command_id varchar(200) PRIMARY KEY,
        node_id varchar(66) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('started', 'done')),
        outcome jsonb,
        channel_point varchar(80),
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        CHECK ((status = 'done') = (outcome IS NOT NULL))
      )`);
    await runner.query('CREATE UNIQUE INDEX open_channel_command_channel_point ON open_channel_command (channel_point) WHERE channel_point IS NOT NULL');
    await runner.query('CREATE INDEX open_channel_command_node ON open_channel_command (node_id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE open_channel_command');
    await runner.query('DROP TABLE published_node_state');
  }
}

/** NODE_GATEWAY_MIGRATIONS are the gateway schema's migrations, in order. */
export const NODE_GATEWAY_MIGRATIONS = [CreateNodeGatewayTables1763769600000];
