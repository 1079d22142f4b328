import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * FitnessEventFacts1767312000000 keeps in `fitness_event` only what the fold reads of each event
 * (column `facts`: a channel's peer and point, a peer, a snapshot's online peers and open
 * channels) instead of the whole message (column `message`). Rows shrink to a fraction (a
 * ChannelOpened carries a dozen fields the fold ignores), which makes writes and a node's first
 * read after a restart cheaper; the messages themselves remain in the stream.
 */
export class FitnessEventFacts1767312000000 implements MigrationInterface {
  readonly name = 'FitnessEventFacts1767312000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE fitness_event RENAME COLUMN message TO facts');
    await queryRunner.query(`
      UPDATE fitness_event SET facts = CASE
        WHEN type IN ('ChannelOpened', 'ChannelClosed')
          THEN jsonb_build_object('peer', facts->'data'->'peer', 'channelPoint', facts->'data'->'channelPoint')
        WHEN type IN ('PeerOnline', 'PeerOffline')
          THEN jsonb_build_object('peer', facts->'data'->'peer')
        ELSE jsonb_build_object(
          'onlinePeers', facts->'data'->'onlinePeers',
          'openChannels', coalesce(
            (SELECT jsonb_agg(jsonb_build_object('peer', c->'peer', 'channelPoint', c->'channelPoint') ORDER BY i)
               FROM jsonb_array_elements(facts->'data'->'openChannels') WITH ORDINALITY AS o(c, i)),
            '[]'::jsonb))
      END`);
  }

  async down(): Promise<void> {
    // The dropped fields are in the stream only: rebuild the projection from it instead.
    await Promise.reject(new Error('FitnessEventFacts1767312000000 cannot be reverted: rebuild the chanfitness projection from the stream'));
  }
}
