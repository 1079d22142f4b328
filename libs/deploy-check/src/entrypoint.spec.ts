import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './repo.js';

/** run starts a deploy/ script with node and resolves with its exit code and output. */
function run(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'deploy', script), ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, output });
    });
  });
}

/** serve answers GET /health with `status` on a free port. */
async function serve(status: number): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    response.statusCode = request.url === '/health' ? status : 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('deploy/lnfleet.mjs', () => {
  it('prints its commands for help and exits 0', async () => {
    const { code, output } = await run('lnfleet.mjs', ['help']);
    expect({ code, usage: output.startsWith('usage: lnfleet <command>') }).toEqual({ code: 0, usage: true });
    expect(output).toContain('provision');
  });

  it('exits 2 for an unknown command', async () => {
    const { code, output } = await run('lnfleet.mjs', ['launch']);
    expect({ code, usage: output.startsWith('usage: lnfleet <command>') }).toEqual({ code: 2, usage: true });
  });
});

describe('deploy/healthcheck.mjs', () => {
  it('exits 0 when /health answers 200 on HTTP_PORT, 1 when it answers 503', async () => {
    const healthy = await serve(200);
    const sick = await serve(503);
    try {
      expect((await run('healthcheck.mjs', [], { HTTP_PORT: String(healthy.port) })).code).toBe(0);
      expect((await run('healthcheck.mjs', [], { HTTP_PORT: String(sick.port) })).code).toBe(1);
    } finally {
      healthy.server.close();
      sick.server.close();
    }
  });

  it('exits 1 when nothing listens on HTTP_PORT', async () => {
    const { server, port } = await serve(200);
    await new Promise((resolve) => server.close(resolve));
    expect((await run('healthcheck.mjs', [], { HTTP_PORT: String(port) })).code).toBe(1);
  });
});
