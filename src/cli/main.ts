/** Entry point of the `tableside` command. */
import { guardStandardOutput, stderr } from '../host/output.js';
import { buildCli } from './program.js';

// First: a reader that goes away (`| head`) meets every command quietly (host/output.ts).
guardStandardOutput();
try {
  await buildCli().parseAsync(process.argv);
} catch (err) {
  const e = err as Error & { code?: string };
  stderr().write(`tableside: ${e.message}\n`);
  process.exitCode = e.code?.startsWith('RR_FILE') || e.code === 'CLINIC_REFUSED' ? 2 : 1;
}
