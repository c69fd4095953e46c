import { isPlausibleLocalTime } from './file-name.js';
import { RrFileError } from './rr-file-error.js';
import type { RrRecording } from './rr-recording.js';
import { type Token, tokensToMs } from './text.js';

/** `Interval=238` is Polar's marker for R-R mode; any other value is the HR sampling period in seconds. */
export const HRM_RR_MODE_INTERVAL = '238';

const SECTION = /^\s*\[([^\]]+)\]\s*$/;

export function looksLikeHrm(lines: readonly string[]): boolean {
  const first = lines.find((l) => l.trim() !== '');
  return first !== undefined && /^\s*\[Params\]\s*$/i.test(first);
}

interface HrmSections {
  readonly params: Map<string, string>;
  /** the [HRData] lines with their 1-based line numbers; undefined when the section is missing */
  readonly hrData: Token[] | undefined;
}

/**
 * Only `[Params]` and `[HRData]` matter. Every section is followed by a blank line, so a reader that stops at the
 * first blank line finds no data: read to EOF and switch on section headers instead.
 */
function readSections(lines: readonly string[]): HrmSections {
  const params = new Map<string, string>();
  let hrData: Token[] | undefined;
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const header = SECTION.exec(text);
    if (header) {
      section = (header[1] ?? '').trim().toLowerCase();
      if (section === 'hrdata') hrData = [];
      continue;
    }
    if (text.trim() === '') continue;
    if (section === 'params') {
      const eq = text.indexOf('=');
      if (eq > 0) params.set(text.slice(0, eq).trim(), text.slice(eq + 1).trim());
    } else if (section === 'hrdata') {
      // Extra tab-separated columns (speed, cadence, altitude, power…) follow SMode; RR is always column 1.
      hrData?.push({ text: text.trim().split(/\s+/)[0] ?? '', line: i + 1 });
    }
  }
  return { params, hrData };
}

/** Polar `.hrm` in R-R mode: `[HRData]` holds one RR in ms per line. */
export function parsePolarHrm(lines: readonly string[], file: string): Omit<RrRecording, 'gapBefore'> {
  const { params, hrData } = readSections(lines);
  const interval = params.get('Interval');
  const paramsLine = lines.findIndex((l) => /^\s*\[Params\]/i.test(l)) + 1;
  if (interval === undefined) {
    throw new RrFileError(
      'RR_FILE_NOT_RR',
      file,
      paramsLine,
      'HRM file without "Interval" in [Params]: cannot tell RR from HR',
    );
  }
  if (interval !== HRM_RR_MODE_INTERVAL) {
    const line = lines.findIndex((l) => /^\s*Interval\s*=/.test(l)) + 1;
    throw new RrFileError(
      'RR_FILE_NOT_RR',
      file,
      line,
      `HRM file with Interval=${interval} holds heart-rate samples (one every ${interval} s), not RR intervals ` +
        '(R-R recordings have Interval=238)',
    );
  }
  if (hrData === undefined) {
    throw new RrFileError('RR_FILE_UNKNOWN_FORMAT', file, undefined, 'HRM file without an [HRData] section');
  }
  const { rrMs } = tokensToMs(hrData, file, 'ms');
  const meta: Record<string, string> = { unit: 'ms', unitSource: 'format', intervalKind: 'rr' };
  for (const [key, value] of params) meta[`hrm.${key}`] = value;
  const startedAt = hrmStartedAt(params.get('Date'), params.get('StartTime'));
  if (startedAt !== undefined) meta.startedAtSource = 'hrm Date/StartTime';
  return { format: 'polar-hrm', rrMs, meta, ...(startedAt === undefined ? {} : { startedAt }) };
}

/** `Date=20080125`, `StartTime=08:57:29.0` → `2008-01-25T08:57:29.000` (local time: HRM has no zone). */
function hrmStartedAt(date: string | undefined, time: string | undefined): string | undefined {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(date ?? '');
  const t = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(time ?? '');
  if (!d || !t) return undefined;
  const hour = (t[1] ?? '').padStart(2, '0');
  const fraction = (t[4] ?? '').padEnd(3, '0');
  const iso = `${d[1]}-${d[2]}-${d[3]}T${hour}:${t[2]}:${t[3]}.${fraction}`;
  return isPlausibleLocalTime(iso) ? iso : undefined;
}
