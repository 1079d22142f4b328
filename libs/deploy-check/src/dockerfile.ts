/**
 * A linter for deploy/Dockerfile, since no Docker engine runs where the tests do. It checks rules
 * in the spirit of hadolint's (pinned base images, COPY over ADD, npm ci, exec form) plus ours:
 * several stages, a numeric non-root USER in the final stage, a HEALTHCHECK, no secrets in ENV or
 * ARG, and every workspace's package.json copied before each `npm ci` (a workspace added later
 * and forgotten here would make `npm ci` in the image fail or miss it).
 */

/** Instruction is one Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  /** line is the 1-based line the instruction starts on. */
  readonly line: number;
  /** stage is the index of the build stage it belongs to (-1 before the first FROM). */
  readonly stage: number;
}

/** Stage is one FROM ... section. */
export interface Stage {
  readonly image: string;
  readonly alias?: string;
  readonly line: number;
}

/** parseDockerfile splits a Dockerfile into instructions (comments and parser directives dropped). */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  let stage = -1;
  for (let index = 0; index < lines.length; index++) {
    const start = index;
    let current = (lines[index] ?? '').trim();
    if (current === '' || current.startsWith('#')) continue;
    while (current.endsWith('\\') && index + 1 < lines.length) {
      index++;
      const next = (lines[index] ?? '').trim();
      current = `${current.slice(0, -1).trimEnd()} ${next.startsWith('#') ? '' : next}`.trim();
    }
    const match = /^(\S+)\s*(.*)$/.exec(current);
    if (match === null) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    if (keyword === 'FROM') stage++;
    instructions.push({ keyword, args: match[2] ?? '', line: start + 1, stage });
  }
  return instructions;
}

/** stagesOf lists the FROM instructions' images and aliases. */
export function stagesOf(instructions: readonly Instruction[]): Stage[] {
  return instructions
    .filter((instruction) => instruction.keyword === 'FROM')
    .map((instruction) => {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      const asIndex = words.findIndex((word) => word.toUpperCase() === 'AS');
      const alias = asIndex >= 0 ? words[asIndex + 1] : undefined;
      return { image: words[0] ?? '', line: instruction.line, ...(alias !== undefined ? { alias } : {}) };
    });
}

/** DockerfileContext is what the rules need besides the file: the workspaces' package.json paths. */
export interface DockerfileContext {
  /** workspacePackageFiles are the workspaces' package.json paths relative to the repository root (libs/config/package.json, ...). */
  readonly workspacePackageFiles: readonly string[];
  /** workspaceFolders are the folders holding workspaces (libs, services, ...): the build must copy each. */
  readonly workspaceFolders: readonly string[];
}

/** lintDockerfile returns one message per broken rule, each with its line. */
export function lintDockerfile(text: string, context: DockerfileContext): string[] {
  const instructions = parseDockerfile(text);
  const stages = stagesOf(instructions);
  const problems: string[] = [];
  const aliases = new Set(stages.flatMap((stage) => (stage.alias !== undefined ? [stage.alias] : [])));

  if (stages.length === 0) return ['no FROM instruction'];
  if (stages.length < 2) problems.push('a single stage: build in one stage and copy only what runs into a small final stage');
  for (const stage of stages) {
    if (aliases.has(stage.image)) continue;
    if (stage.image.includes('$')) problems.push(`line ${stage.line}: FROM ${stage.image}: use a literal, pinned image (an ARG hides what is pulled)`);
    else if (!isPinned(stage.image)) problems.push(`line ${stage.line}: FROM ${stage.image}: pin the base image to a version tag (not latest or a bare major) or a digest`);
  }

  const finalStage = stages.length - 1;
  const final = instructions.filter((instruction) => instruction.stage === finalStage);
  const users = final.filter((instruction) => instruction.keyword === 'USER');
  const lastUser = users.at(-1);
  if (lastUser === undefined) problems.push('the final stage has no USER: it would run as root');
  else {
    const user = lastUser.args.trim().split(':')[0] ?? '';
    if (user === 'root' || user === '0') problems.push(`line ${lastUser.line}: USER ${lastUser.args}: the final stage runs as root`);
    else if (!/^\d+$/.test(user)) problems.push(`line ${lastUser.line}: USER ${lastUser.args}: use a numeric uid so Kubernetes' runAsNonRoot can verify it`);
  }
  if (!final.some((instruction) => instruction.keyword === 'HEALTHCHECK' && !/^NONE\b/i.test(instruction.args))) {
    problems.push('the final stage has no HEALTHCHECK');
  }
  if (!final.some((instruction) => instruction.keyword === 'COPY' && /--from=/.test(instruction.args))) {
    problems.push('the final stage copies nothing from a build stage (COPY --from=...)');
  }

  for (const instruction of instructions) {
    const at = `line ${instruction.line}`;
    if (instruction.keyword === 'ADD') problems.push(`${at}: ADD: use COPY for local files (ADD also fetches URLs and unpacks archives)`);
    if (instruction.keyword === 'RUN') {
      if (/\bnpm (install|i)\b/.test(instruction.args)) problems.push(`${at}: npm install: use npm ci (the lockfile, exactly)`);
      if (/\bsudo\b/.test(instruction.args)) problems.push(`${at}: sudo in RUN`);
      if (/\bcurl\b[^|]*\|\s*(ba)?sh\b|\bwget\b[^|]*\|\s*(ba)?sh\b/.test(instruction.args)) problems.push(`${at}: piping a download into a shell`);
      if (/apt-get install/.test(instruction.args) && !/--no-install-recommends/.test(instruction.args)) problems.push(`${at}: apt-get install without --no-install-recommends`);
    }
    if (instruction.keyword === 'ENTRYPOINT' || instruction.keyword === 'CMD') {
      if (!isExecForm(instruction.args)) problems.push(`${at}: ${instruction.keyword} in shell form: use the exec form ["...", "..."] so signals reach the process`);
    }
    if (instruction.keyword === 'ENV' || instruction.keyword === 'ARG') {
      for (const name of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)) {
        if (/(PASSWORD|SECRET|TOKEN|MASTER_KEY|PRIVATE_KEY|CREDENTIALS)/i.test(name[1] ?? '')) problems.push(`${at}: ${instruction.keyword} ${name[1] ?? ''}: secrets do not belong in the image`);
      }
    }
    if (instruction.keyword === 'WORKDIR' && !instruction.args.trim().startsWith('/')) problems.push(`${at}: WORKDIR ${instruction.args}: use an absolute path`);
  }

  const copiedAnywhere = instructions.filter((instruction) => instruction.keyword === 'COPY' && !/--from=/.test(instruction.args)).flatMap((instruction) => copySources(instruction.args));
  for (const folder of context.workspaceFolders) {
    if (!copiedAnywhere.some((source) => source === folder || source === `${folder}/`)) problems.push(`no stage copies ${folder}/: its workspaces would not be built`);
  }

  // Each stage that runs npm ci must have every workspace's package.json (and the lockfile) first.
  for (let stage = 0; stage < stages.length; stage++) {
    const inStage = instructions.filter((instruction) => instruction.stage === stage);
    const npmCi = inStage.find((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args));
    if (npmCi === undefined) continue;
    const copied = inStage
      .filter((instruction) => instruction.keyword === 'COPY' && instruction.line < npmCi.line && !/--from=/.test(instruction.args))
      .flatMap((instruction) => copySources(instruction.args));
    for (const file of ['package.json', 'package-lock.json', ...context.workspacePackageFiles]) {
      if (!copied.includes(file)) problems.push(`line ${npmCi.line}: npm ci runs before ${file} is copied into this stage`);
    }
  }
  return problems;
}

/** isPinned: a tag with at least major.minor (node:20.20.2-slim, nats:2.9.25-alpine) or a digest. */
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon <= slash) return false;
  const tag = image.slice(colon + 1);
  return /^v?\d+\.\d+/.test(tag);
}

function isExecForm(args: string): boolean {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.length > 0 && parsed.every((item) => typeof item === 'string');
  } catch {
    return false;
  }
}

/** copySources returns a COPY's source paths (flags and destination dropped). */
function copySources(args: string): string[] {
  const words = isExecForm(args) ? (JSON.parse(args) as string[]) : args.split(/\s+/).filter((word) => word !== '');
  const paths = words.filter((word) => !word.startsWith('--'));
  return paths.slice(0, -1).map((path) => path.replace(/^\.\//, ''));
}
