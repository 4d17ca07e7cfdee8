#!/usr/bin/env node
// The `kiln` CLI: runs cli/main.ts through tsx, as the npm scripts run the services (no build step).
// `tsImport` loads TypeScript for this one import tree only, leaving the process's loader as it is.
import { tsImport } from "tsx/esm/api";

/** @type {{ main(argv: string[]): Promise<number> }} */
const cli = await tsImport("../cli/main.ts", import.meta.url);
process.exitCode = await cli.main(process.argv.slice(2));
