#!/usr/bin/env node
// Entry point of the `vm` CLI: oclif finds the compiled commands under dist/cli/commands.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
