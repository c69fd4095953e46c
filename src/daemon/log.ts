/** What the live core logs through: the daemon's pino logger, or anything with these three methods (tests). */
export interface DaemonLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
