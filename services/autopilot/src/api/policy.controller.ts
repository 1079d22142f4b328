/**
 * The autopilot's HTTP API: set a node's policy (validated, recorded as an AutopilotPolicySet
 * event, so the policy history is part of the audit trail) and read what the autopilot knows
 * about a node. Setting a policy does not write the projection: the event does, when the
 * autopilot consumes it like any other, so every replica and every replay sees the same history.
 *
 * - `PUT /nodes/:nodeId/autopilot/policy` with the AutopilotPolicySet data as JSON → 202 and the
 *   event's id and stream sequence. An `Idempotency-Key` header makes retries of one request
 *   record one event (within the stream's duplicate window).
 * - `GET /nodes/:nodeId/autopilot` → the node's projection (policy, balance, channels, opens in
 *   flight, failures, chanfitness verdicts).
 */
import { randomUUID } from 'node:crypto';
import { BadRequestException, Body, Controller, Get, Headers, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { AutopilotPolicySet, createMessage, deterministicId, MessageId, Pubkey } from '@lnfleet/contracts';
import { ServiceContext } from '@lnfleet/service-kit';
import { AUTOPILOT_CLOCK, AutopilotEngine } from '../decisions/autopilot-engine.js';
import type { Clock } from '../decisions/clock.js';
import { spendableSat } from '../projection/node-projection.js';

/** PolicyAccepted is the answer to a policy change: the recorded event. */
export interface PolicyAccepted {
  readonly id: string;
  readonly sequence: number;
  /** duplicate is true when the same Idempotency-Key was already recorded. */
  readonly duplicate: boolean;
}

@Controller('nodes/:nodeId/autopilot')
export class PolicyController {
  constructor(
    private readonly context: ServiceContext,
    private readonly engine: AutopilotEngine,
    // The policy is stamped with the autopilot's clock, like its decisions, so that an audit at an
    // instant sees the policy that was in force then (under a simulated clock too).
    @Inject(AUTOPILOT_CLOCK) private readonly clock: Clock,
  ) {}

  @Put('policy')
  @HttpCode(202)
  async setPolicy(
    @Param('nodeId') nodeId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<PolicyAccepted> {
    const node = checkNode(nodeId);
    const data = AutopilotPolicySet.data.safeParse(body);
    if (!data.success) {
      const issue = data.error.issues[0];
      const field = issue?.path.map(String).join('.') ?? '';
      throw new BadRequestException(`invalid policy${field === '' ? '' : ` at ${field}`}: ${issue?.message ?? 'invalid'}`);
    }
    if (idempotencyKey !== undefined && !MessageId.safeParse(idempotencyKey).success) {
      throw new BadRequestException('Idempotency-Key must be 1-200 characters of A-Z a-z 0-9 . _ : -');
    }
    const id = idempotencyKey === undefined ? `AutopilotPolicySet-${randomUUID()}` : deterministicId('AutopilotPolicySet', node, idempotencyKey);
    const message = createMessage(AutopilotPolicySet, { id, nodeId: node, occurredAt: new Date(this.clock.now()).toISOString(), causationId: null, data: data.data });
    const receipt = await this.context.publisher.publishDerived('autopilot', message);
    return { id, sequence: receipt.sequence, duplicate: receipt.duplicate };
  }

  @Get()
  async projection(@Param('nodeId') nodeId: string): Promise<Record<string, unknown>> {
    const state = await this.engine.projection(checkNode(nodeId));
    return {
      nodeId: state.nodeId,
      revision: state.revision,
      policy: state.policy,
      balance: state.balance,
      spendableSat: spendableSat(state.balance),
      channels: [...state.channels.values()],
      pendingOpens: [...state.pendingOpens.values()],
      failures: [...state.failures.values()],
      fitness: [...state.fitness.values()],
    };
  }
}

function checkNode(nodeId: string): string {
  if (!Pubkey.safeParse(nodeId).success) throw new BadRequestException('nodeId must be a 33-byte compressed public key in lowercase hex');
  return nodeId;
}
