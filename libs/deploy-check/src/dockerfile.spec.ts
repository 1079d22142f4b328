import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPinned, lintDockerfile, parseDockerfile, stagesOf } from './dockerfile.js';
import { REPO_ROOT, workspaces } from './repo.js';

const DOCKERFILE = readFileSync(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8');
const { folders, packageFiles } = workspaces();
const CONTEXT = { workspacePackageFiles: packageFiles, workspaceFolders: folders };

/** GOOD is a small Dockerfile that keeps every rule; each negative test breaks one. */
const GOOD = [
  'FROM node:20.20.2-bookworm-slim AS build',
  'WORKDIR /app',
  'COPY package.json package-lock.json ./',
  'COPY libs/a/package.json libs/a/',
  'RUN npm ci',
  'COPY libs libs',
  'RUN npm run build',
  'FROM node:20.20.2-bookworm-slim',
  'WORKDIR /app',
  'COPY --from=build /app/libs ./libs',
  'USER 1000:1000',
  'HEALTHCHECK CMD ["node", "health.mjs"]',
  'ENTRYPOINT ["node", "main.mjs"]',
].join('\n');
const SMALL = { workspacePackageFiles: ['libs/a/package.json'], workspaceFolders: ['libs'] };

function broken(replace: string, by: string): string {
  if (!GOOD.includes(replace)) throw new Error(`GOOD has no ${replace}`);
  return GOOD.replace(replace, by);
}

describe('deploy/Dockerfile', () => {
  it('keeps every rule', () => {
    expect(lintDockerfile(DOCKERFILE, CONTEXT)).toEqual([]);
  });

  it('has a build stage and a runtime stage on the same pinned Node image', () => {
    const stages = stagesOf(parseDockerfile(DOCKERFILE));
    expect(stages.map((stage) => stage.alias)).toEqual(['build', 'runtime-deps', 'runtime']);
    expect(new Set(stages.map((stage) => stage.image))).toEqual(new Set(['node:20.20.2-bookworm-slim']));
  });

  it('copies every workspace of the repository (libs, services)', () => {
    expect(folders).toEqual(expect.arrayContaining(['libs', 'services']));
    expect(packageFiles).toEqual(expect.arrayContaining(['libs/config/package.json', 'services/autopilot/package.json']));
  });
});

describe('lintDockerfile', () => {
  it('passes the small good example', () => {
    expect(lintDockerfile(GOOD, SMALL)).toEqual([]);
  });

  it('joins continuation lines and drops comments', () => {
    expect(parseDockerfile('# c\nRUN a \\\n  && b\nUSER 1').map((i) => [i.keyword, i.args, i.line])).toEqual([
      ['RUN', 'a && b', 2],
      ['USER', '1', 4],
    ]);
  });

  it.each([
    ['an unpinned base image', broken('FROM node:20.20.2-bookworm-slim AS build', 'FROM node:latest AS build'), 'line 1: FROM node:latest: pin the base image to a version tag (not latest or a bare major) or a digest'],
    ['a bare major tag', broken('FROM node:20.20.2-bookworm-slim\n', 'FROM node:20\n'), 'line 8: FROM node:20: pin the base image to a version tag (not latest or a bare major) or a digest'],
    ['a single stage', GOOD.split('\n').slice(0, 7).join('\n') + '\nUSER 1000\nHEALTHCHECK CMD ["x"]\nCOPY --from=x a b', 'a single stage: build in one stage and copy only what runs into a small final stage'],
    ['no USER (root)', broken('USER 1000:1000\n', ''), 'the final stage has no USER: it would run as root'],
    ['USER root', broken('USER 1000:1000', 'USER root'), 'line 11: USER root: the final stage runs as root'],
    ['a named USER', broken('USER 1000:1000', 'USER node'), "line 11: USER node: use a numeric uid so Kubernetes' runAsNonRoot can verify it"],
    ['no HEALTHCHECK', broken('HEALTHCHECK CMD ["node", "health.mjs"]\n', ''), 'the final stage has no HEALTHCHECK'],
    ['HEALTHCHECK NONE', broken('HEALTHCHECK CMD ["node", "health.mjs"]', 'HEALTHCHECK NONE'), 'the final stage has no HEALTHCHECK'],
    ['ADD of local files', broken('COPY libs libs', 'ADD libs libs'), 'line 6: ADD: use COPY for local files (ADD also fetches URLs and unpacks archives)'],
    ['npm install', broken('RUN npm ci', 'RUN npm install'), 'line 5: npm install: use npm ci (the lockfile, exactly)'],
    ['npm ci before the lockfile', broken('COPY package.json package-lock.json ./', 'COPY package.json ./'), 'line 5: npm ci runs before package-lock.json is copied into this stage'],
    ['a workspace manifest missing before npm ci', broken('COPY libs/a/package.json libs/a/\n', ''), 'line 4: npm ci runs before libs/a/package.json is copied into this stage'],
    ['a shell-form ENTRYPOINT', broken('ENTRYPOINT ["node", "main.mjs"]', 'ENTRYPOINT node main.mjs'), 'line 13: ENTRYPOINT in shell form: use the exec form ["...", "..."] so signals reach the process'],
    ['a secret in ENV', broken('WORKDIR /app\nCOPY --from', 'WORKDIR /app\nENV BACKUP_MASTER_KEY=abc\nCOPY --from'), 'line 10: ENV BACKUP_MASTER_KEY: secrets do not belong in the image'],
    ['a relative WORKDIR', broken('WORKDIR /app\nCOPY package.json', 'WORKDIR app\nCOPY package.json'), 'line 2: WORKDIR app: use an absolute path'],
    ['nothing copied from the build', broken('COPY --from=build /app/libs ./libs', 'COPY libs ./libs'), 'the final stage copies nothing from a build stage (COPY --from=...)'],
    ['a download piped into a shell', broken('RUN npm run build', 'RUN curl -fsSL https://example.com/i.sh | sh'), 'line 7: piping a download into a shell'],
  ])('catches %s', (_name, dockerfile, problem) => {
    expect(lintDockerfile(dockerfile, SMALL)).toContain(problem);
  });

  it('catches a workspace folder no stage copies', () => {
    expect(lintDockerfile(GOOD, { ...SMALL, workspaceFolders: ['libs', 'tools'] })).toEqual(['no stage copies tools/: its workspaces would not be built']);
  });

  it('pins tags with major.minor or digests only', () => {
    expect([isPinned('node:20.20.2-bookworm-slim'), isPinned('nats:2.9.25-alpine'), isPinned(`nats@sha256:${'a'.repeat(64)}`)]).toEqual([true, true, true]);
    expect([isPinned('node'), isPinned('node:20'), isPinned('node:lts-slim'), isPinned('localhost:5000/app')]).toEqual([false, false, false, false]);
  });
});
