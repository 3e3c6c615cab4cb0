import { Logger } from '@nestjs/common';
import { logLevel, type LogEntry } from 'kafkajs';
import { redact, redactText } from '../../utils/redact.js';

/**
 * Routes kafkajs's log lines to a Nest Logger. kafkajs logs retriable send failures at
 * ERROR; they are warnings to the app (the module retries or reports them). Secrets never
 * pass: the fields kafkajs adds to a line go through `redact` (SASL bytes, passwords, keys),
 * and PEM blocks in the text are cut.
 */
export function nestLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry): void => {
      const { message, ...extra } = log;
      const text = `${redactText(message)} ${JSON.stringify(redact(extra))}`;
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(text);
      else if (level === logLevel.INFO) logger.log(text);
      else logger.debug(text);
    };
}
