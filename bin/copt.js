#!/usr/bin/env node
import { main } from '../dist/server/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
