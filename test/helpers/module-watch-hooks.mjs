// Resolve hook of module-watch.mjs (runs on the loader's thread).
import { appendFileSync } from 'node:fs';

const packages = (process.env.TABLESIDE_WATCH_PACKAGES ?? '').split(',').filter(Boolean);
const watched = packages.map((name) => `/node_modules/${name}/`);

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const file = process.env.TABLESIDE_WATCH_MODULES;
  if (file && watched.some((part) => resolved.url.includes(part))) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
