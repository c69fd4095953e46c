/** Local wall-clock times as readings and a client's timeline use them: 'YYYY-MM-DDTHH:MM:SS', no zone. */

const LOCAL = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/**
 * An ISO 8601 time as local 'YYYY-MM-DDTHH:MM:SS': a naive one as it is written, one with a zone (`Z`, `+01:00`)
 * in this machine's time zone. Null when it is not a date and time.
 */
export function localDateTime(iso: string): string | null {
  const text = iso.trim();
  const naive = LOCAL.exec(text);
  if (naive) {
    const [, date, h, m, s] = naive;
    const check = new Date(`${date}T${h}:${m}:${s ?? '00'}`);
    if (Number.isNaN(check.getTime()) || Number(h) > 23 || Number(m) > 59 || Number(s ?? 0) > 59) return null;
    return `${date}T${h}:${m}:${s ?? '00'}`;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return null;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return null;
  return formatLocal(date);
}

/** A Date in this machine's time zone, 'YYYY-MM-DDTHH:MM:SS'. */
export function formatLocal(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}` +
    `T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`
  );
}
