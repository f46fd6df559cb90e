import { runCli } from '@edgefleet/cli';

// The operator command line (`edgefleet`); everything it does lives in libs/cli.
void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
  process.exitCode = code;
});
