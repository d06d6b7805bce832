/**
 * Logging: winston to the hook's log file, and to stderr for VDSM's own log.
 * stderr lines are held back until the end so that, on failure, the first
 * stderr line is the error VDSM shows the Engine.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';
import Transport from 'winston-transport';

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** The stderr text: the error line first (if any), then what was logged. */
  stderrText(errorLine?: string): string;
  close(): Promise<void>;
}

class Held extends Transport {
  readonly lines: string[] = [];
  override log(info: { level: string; message: unknown }, next: () => void): void {
    this.lines.push(`${info.level}: ${String(info.message)}`);
    next();
  }
}

export function createLog(file: string, hook: string): Log {
  const held = new Held();
  const transports: winston.transport[] = [held];
  try {
    mkdirSync(dirname(file), { recursive: true });
    transports.push(new winston.transports.File({ filename: file }));
  } catch {
    // an unwritable log directory must not break the hook: stderr still carries everything
  }
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf((i) => `${String(i['timestamp'])} ${hook}[${process.pid}] ${i.level}: ${String(i.message)}`),
    ),
    transports,
  });
  logger.on('error', () => undefined);
  return {
    info: (m) => void logger.info(m),
    warn: (m) => void logger.warn(m),
    error: (m) => void logger.error(m),
    stderrText: (errorLine) => [...(errorLine ? [errorLine] : []), ...held.lines].map((l) => `${l}\n`).join(''),
    close: () =>
      new Promise<void>((resolve) => {
        logger.on('finish', () => resolve());
        logger.end();
      }),
  };
}
