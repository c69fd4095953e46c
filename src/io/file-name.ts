import { baseName } from './text.js';

/**
 * Several apps put the start time only in the file name (FORMATS.md §2, §5, §6):
 * Elite HRV `2017-07-19 07-50-42.txt`, Polar Flow `rr-Last_First_2017-08-03_08-28-50.txt`,
 * Polar Sensor Logger `Polar_H10_A40F6F28_20220425_113903_RR.txt`. No zone anywhere, so the result is local time
 * without zone. Renamed copies simply give no start time.
 */
const DASHED = /(?<!\d)(\d{4})-(\d{2})-(\d{2})[ _T](\d{2})[-.:](\d{2})[-.:](\d{2})(?!\d)/;
const COMPACT = /(?<!\d)(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?!\d)/;

export function startedAtFromFileName(fileName: string): string | undefined {
  const name = baseName(fileName);
  const match = DASHED.exec(name) ?? COMPACT.exec(name);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}`;
  return isPlausibleLocalTime(iso) ? iso : undefined;
}

/** Rejects digit runs that only look like a date (month 13, hour 25, year 1970 from a counter). */
export function isPlausibleLocalTime(iso: string): boolean {
  const ms = Date.parse(`${iso}Z`);
  if (Number.isNaN(ms)) return false;
  const back = new Date(ms).toISOString().slice(0, iso.length);
  const year = Number(iso.slice(0, 4));
  return back === iso && year >= 1990 && year <= 2100;
}
