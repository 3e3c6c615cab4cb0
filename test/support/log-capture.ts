import type { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';

/**
 * A Nest logger that keeps every line at every level (debug and verbose included), with
 * whatever the caller passed besides the message (a context, an error, an object) rendered
 * by `util.inspect`, so a test can search all of it: `setLogger(capture)` on the testing
 * module and `Logger.overrideLogger(capture)` route the module's Logger, and through it
 * kafkajs's log bridge, here.
 */
export class LogCapture implements LoggerService {
  readonly lines: string[] = [];

  log(message: unknown, ...rest: unknown[]) {
    this.keep('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.keep('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.keep('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.keep('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.keep('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.keep('fatal', message, rest);
  }

  /** Lines logged since `mark` (a `lines.length` taken earlier). */
  since(mark: number): string[] {
    return this.lines.slice(mark);
  }

  private keep(level: string, message: unknown, rest: unknown[]) {
    const text = typeof message === 'string' ? message : inspect(message, { depth: 8 });
    const extra = rest.map((r) => (typeof r === 'string' ? r : inspect(r, { depth: 8 })));
    this.lines.push([level, text, ...extra].join(' '));
  }
}

/** Every text an error shows: message, toString(), and util.inspect with its cause chain. */
export function errorTexts(error: unknown): string[] {
  const texts = [String(error), inspect(error, { depth: 8 })];
  if (error instanceof Error) texts.push(error.message);
  return texts;
}
