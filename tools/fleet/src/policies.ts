/**
 * Turns the autopilot on for every simulated node: once the gateway's health endpoint names a
 * node's public key, the demo policy is PUT to the autopilot's API (recorded there as an
 * AutopilotPolicySet event, like an operator's).
 */
import { demoPolicy } from './plan.js';

/** GatewayHealth is the part of the gateway's GET /health answer used here. */
interface GatewayHealth {
  readonly nodes: ReadonlyArray<{ readonly id: string; readonly nodeId: string | null; readonly status: string }>;
}

export class PolicyEnabler {
  private readonly enabled = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly gatewayUrl: string,
    private readonly autopilotUrl: string,
    /** runKey makes each run's policy one event per node, whatever retries happen. */
    private readonly runKey: string,
    private readonly onError: (message: string) => void,
  ) {}

  /** count is how many nodes the policy was accepted for. */
  get count(): number {
    return this.enabled.size;
  }

  start(intervalMs = 1_000): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.round()
        .catch((error: unknown) => {
          this.onError(`enabling the autopilot: ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => {
          this.busy = false;
        });
    }, intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** round enables every node the gateway knows by now and has not been enabled yet. */
  async round(): Promise<void> {
    const response = await fetch(`${this.gatewayUrl}/health`);
    const health = (await response.json()) as GatewayHealth;
    for (const node of health.nodes) {
      if (node.nodeId === null || this.enabled.has(node.nodeId)) continue;
      const put = await fetch(`${this.autopilotUrl}/nodes/${node.nodeId}/autopilot/policy`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${this.runKey}-${node.id}` },
        body: JSON.stringify(demoPolicy),
      });
      if (put.status !== 202) throw new Error(`autopilot answered ${put.status} for ${node.id}: ${await put.text()}`);
      this.enabled.add(node.nodeId);
    }
  }
}
