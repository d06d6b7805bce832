/**
 * Logging: winston to the hook's log file, and to stderr for VDSM's own log.
 * stderr lines are held back until the end so that, on failure, the first
 * stderr line is the error VDSM shows the Engine.
 *
 * winston is loaded when the first line is logged, not before: the report
 * hooks (after_get_caps, after_get_stats) run every few seconds and usually
 * log nothing, and initialising winston was a tenth of their start-up. Log
 * calls stay synchronous: a line is timestamped when it is logged and queued
 * until winston is there, then handed to it in order.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'winston';

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** The stderr text: the error line first (if any), then what was logged. */
  stderrText(errorLine?: string): string;
  /** Resolves once every line logged so far is in the file (at once when nothing was logged). */
  close(): Promise<void>;
}

type Level = 'info' | 'warn' | 'error';

interface Entry {
  level: Level;
  message: string;
  /** taken when the line is logged, not when winston writes it */
  timestamp: string;
}

/** winston writing to the log file, and how to wait for the file to be flushed. */
interface FileLog {
  logger: Logger;
  close(): Promise<void>;
}

/** file null: no log file (the read-only commands write nothing), the lines go to stderr only. */
export function createLog(file: string | null, hook: string): Log {
  const held: string[] = [];
  let queue: Entry[] = [];
  // undefined until winston is loaded (lines wait in queue meanwhile); null: no log file, none wanted or it cannot be written
  let fileLog: FileLog | null | undefined = file === null ? null : undefined;
  let opening: Promise<FileLog | null> | undefined;
  let closing: Promise<void> | undefined;

  const write = (level: Level, message: string): void => {
    const entry: Entry = { level, message, timestamp: new Date().toISOString() };
    held.push(`${level}: ${message}`);
    if (fileLog) fileLog.logger.log(entry);
    else if (fileLog === undefined && file !== null) {
      queue.push(entry);
      opening ??= openFileLog(file, hook).then((opened) => {
        fileLog = opened;
        for (const e of queue) opened?.logger.log(e);
        queue = [];
        return opened;
      });
    }
  };

  return {
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
    stderrText: (errorLine) => [...(errorLine ? [errorLine] : []), ...held].map((l) => `${l}\n`).join(''),
    // nothing logged: winston was never loaded and there is nothing to flush
    close: () => (closing ??= opening?.then((opened) => opened?.close()) ?? Promise.resolve()),
  };
}

/** Never rejects: an unwritable log file must not break the hook, stderr still carries everything. */
async function openFileLog(file: string, hook: string): Promise<FileLog | null> {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const { default: winston } = await import('winston');
    // winston's Stream transport over a file stream of our own, not its File transport: close() can
    // then wait for the file to be flushed, and sees when it cannot be opened or written (the File
    // transport only tells its debug output, so waiting for it to finish could hang the hook)
    const stream = createWriteStream(file, { flags: 'a' });
    // an open or write error ends the stream (it is closed, see close()); the lines stay on stderr
    stream.on('error', () => undefined);
    const transport = new winston.transports.Stream({ stream });
    const logger = winston.createLogger({
      level: 'info',
      format: winston.format.combine(
        winston.format.timestamp(),
        winston.format.printf((i) => `${String(i['timestamp'])} ${hook}[${process.pid}] ${i.level}: ${String(i.message)}`),
      ),
      transports: [transport],
    });
    logger.on('error', () => undefined);
    return {
      logger,
      close: () =>
        new Promise<void>((resolve) => {
          // every line has reached the file stream once the transport finishes; the file is flushed once the stream closes
          transport.once('finish', () => {
            if (stream.closed) return resolve();
            stream.once('close', () => resolve());
            stream.end();
          });
          logger.end();
        }),
    };
  } catch {
    return null;
  }
}
