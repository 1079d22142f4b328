#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr, now: () => Date.now() });
