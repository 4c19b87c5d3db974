#!/usr/bin/env node
/** The `gmmrl` executable: runs the CLI and exits with its code. */
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
