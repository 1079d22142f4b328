import { ConfigError } from '@lnfleet/config';
import { loadHttpConfig } from './http.js';

describe('loadHttpConfig', () => {
  it('defaults to the service port on all interfaces', () => {
    expect(loadHttpConfig({}, 8081)).toEqual({ port: 8081, host: '0.0.0.0' });
  });

  it('reads HTTP_PORT and HTTP_HOST; an empty value counts as unset', () => {
    expect(loadHttpConfig({ HTTP_PORT: '9000', HTTP_HOST: '127.0.0.1' }, 8081)).toEqual({ port: 9000, host: '127.0.0.1' });
    expect(loadHttpConfig({ HTTP_PORT: '', HTTP_HOST: '' }, 8081)).toEqual({ port: 8081, host: '0.0.0.0' });
  });

  it('accepts port 0 (any free port) and 65535', () => {
    expect(loadHttpConfig({ HTTP_PORT: '0' }, 8081).port).toBe(0);
    expect(loadHttpConfig({ HTTP_PORT: '65535' }, 8081).port).toBe(65_535);
  });

  it.each(['-1', '65536', '80.5', 'http', '1e9'])('rejects HTTP_PORT=%s with a ConfigError naming the variable', (value) => {
    const load = (): unknown => loadHttpConfig({ HTTP_PORT: value }, 8081);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^invalid configuration: HTTP_PORT: /);
  });
});
