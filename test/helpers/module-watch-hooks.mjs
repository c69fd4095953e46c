// Resolve hook of module-watch.mjs (runs on the loader's thread).
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const file = process.env.TABLESIDE_WATCH_MODULES;
  if (file && /\/node_modules\/pg\//.test(resolved.url)) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
