/** The daemon's logger: pino, pretty only when stdout is a terminal, JSON lines otherwise. */
import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

export function createLogger(level = process.env.TABLESIDE_LOG_LEVEL ?? 'info'): Logger {
  if (process.stdout.isTTY) {
    return pino({ level }, pretty({ colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' }));
  }
  return pino({ level });
}
