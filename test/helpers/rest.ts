/** The daemon's REST API from a test, as a page calls it. */
import { expect } from 'vitest';

/** `method path` on the app at `url`, with `body` as JSON if given; expects a 2xx and returns the answer's JSON. */
export async function api(url: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(new URL(path, url), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text) as Record<string, unknown>;
}
