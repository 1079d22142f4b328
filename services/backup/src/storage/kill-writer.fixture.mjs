// Child process for atomic-file.kill.spec.ts: runs the real writeAtomically in an endless loop
// of large writes until the test SIGKILLs it. Plain JavaScript: it transpiles atomic-file.ts
// (which imports only Node built-ins) with swc, the transformer the tests already use, and
// imports the result, so the code killed mid-write is the code the service runs.
//
// Usage: node kill-writer.fixture.mjs <atomic-file.ts> <workDir> <targetDir> <fileName> <payload>...
// Prints "writing <n>" before and "written <n>" after each write, on stdout (synchronous on
// Linux pipes, so a line is out before the write starts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync } from '@swc/core';

const [source, workDir, targetDir, fileName, ...payloadPaths] = process.argv.slice(2);
if (source === undefined || workDir === undefined || targetDir === undefined || fileName === undefined || payloadPaths.length === 0) {
  process.stderr.write('usage: kill-writer.fixture.mjs <atomic-file.ts> <workDir> <targetDir> <fileName> <payload>...\n');
  process.exit(2);
}

const { code } = transformSync(readFileSync(source, 'utf8'), {
  filename: source,
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'es6' },
});
const modulePath = join(workDir, `atomic-file.${process.pid}.mjs`);
writeFileSync(modulePath, code);
const { writeAtomically } = await import(pathToFileURL(modulePath).href);

const payloads = payloadPaths.map((path) => new Uint8Array(readFileSync(path)));
process.stdout.write('ready\n');
for (let n = 0; ; n += 1) {
  process.stdout.write(`writing ${n}\n`);
  await writeAtomically(targetDir, fileName, payloads[n % payloads.length]);
  process.stdout.write(`written ${n}\n`);
}
