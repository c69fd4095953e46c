/** Entry point of the `tableside` command. */
import { buildCli } from './program.js';

try {
  await buildCli().parseAsync(process.argv);
} catch (err) {
  const e = err as Error & { code?: string };
  process.stderr.write(`tableside: ${e.message}\n`);
  process.exitCode = e.code?.startsWith('RR_FILE') ? 2 : 1;
}
