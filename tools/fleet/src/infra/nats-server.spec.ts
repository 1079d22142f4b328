import { findNatsServer, NATS_INSTALL_HINT } from './nats-server.js';

describe('findNatsServer', () => {
  const present = (paths: string[]) => (path: string) => paths.includes(path);

  it('takes the first nats-server on PATH, then the sbin directories Debian installs to', () => {
    expect(findNatsServer(undefined, '/usr/bin:/opt/nats/bin', present(['/opt/nats/bin/nats-server', '/usr/sbin/nats-server']))).toBe('/opt/nats/bin/nats-server');
    expect(findNatsServer(undefined, '/usr/bin', present(['/usr/sbin/nats-server']))).toBe('/usr/sbin/nats-server');
    expect(findNatsServer(undefined, undefined, present([]))).toBeUndefined();
  });

  it('uses an explicit binary only if it is executable', () => {
    expect(findNatsServer('/x/nats-server', '/usr/sbin', present(['/x/nats-server']))).toBe('/x/nats-server');
    expect(findNatsServer('/x/nats-server', '/usr/sbin', present(['/usr/sbin/nats-server']))).toBeUndefined();
  });

  it('says exactly what to install', () => {
    expect(NATS_INSTALL_HINT).toContain('apt-get install nats-server');
    expect(NATS_INSTALL_HINT).toContain('NATS_URL');
  });
});
