// One jest run covers every project; `nx run <project>:test` narrows it to that project's folder.
// TypeScript ESM is transformed by swc, which keeps decorator metadata for NestJS injection.
const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { decoratorMetadata: true, legacyDecorator: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/tests'],
  testMatch: ['**/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': swcTransform },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@lnfleet/(config|contracts|messaging|service-kit|testing)$': '<rootDir>/libs/$1/src/index.ts',
    '^@lnfleet/(autopilot|chanfitness)/projection$': '<rootDir>/services/$1/src/projection-api.ts',
    '^@lnfleet/cli$': '<rootDir>/tools/lnfleet-cli/src/index.ts',
    '^@lnfleet/backup$': '<rootDir>/services/backup/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
};
