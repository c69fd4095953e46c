/** Small text helpers for terminal output. */

/** A number with fixed decimals, or an em dash for a missing value. */
export function fixed(value: number | null | undefined, decimals: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(decimals);
}

/** Seconds as m:ss or h:mm:ss. */
export function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A progress bar on stderr, drawn only when stderr is a terminal (never in pipes, logs or tests).
 * Redraws at most every 100 ms.
 */
export function progressBar(total: number, label: string, stream: NodeJS.WriteStream = process.stderr) {
  const enabled = stream.isTTY === true && total > 0;
  let lastDrawMs = 0;
  const width = 30;
  return {
    update(done: number): void {
      if (!enabled) return;
      const now = Date.now();
      if (now - lastDrawMs < 100 && done < total) return;
      lastDrawMs = now;
      const filled = Math.round((done / total) * width);
      stream.write(
        `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor((100 * done) / total)} %`,
      );
    },
    done(): void {
      if (enabled) stream.write('\r\x1b[2K');
    },
  };
}
