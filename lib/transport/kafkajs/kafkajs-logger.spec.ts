import { Logger } from '@nestjs/common';
import { logLevel } from 'kafkajs';
import { nestLogCreator } from './kafkajs-logger.js';

/** A Nest Logger that keeps its lines. */
function capture() {
  const lines: string[] = [];
  const logger = new Logger('test');
  logger.log = (m: string) => void lines.push(`log ${m}`);
  logger.warn = (m: string) => void lines.push(`warn ${m}`);
  logger.debug = (m: string) => void lines.push(`debug ${m}`);
  return { logger, lines };
}

describe('nestLogCreator', () => {
  it('logs kafkajs errors as warnings with their fields, and never the SASL bytes or a password', () => {
    const { logger, lines } = capture();
    const log = nestLogCreator(logger)();
    const entry = (level: number, message: string, extra: object) => ({
      namespace: 'Connection',
      level,
      label: 'x',
      log: { timestamp: 't', logger: 'kafkajs', message, ...extra },
    });
    log(entry(logLevel.ERROR, 'Connection error: refused', { broker: 'b:1', retryCount: 2 }));
    log(
      entry(logLevel.DEBUG, 'Response SaslAuthenticate(key: 36, version: 2)', {
        data: { errorCode: 0, authBytes: Buffer.from('v=c2lnbmF0dXJl') },
      }),
    );
    log(entry(logLevel.INFO, 'config', { sasl: { username: 'alice', password: 'alice-pw' } }));
    expect(lines[0]).toBe(
      'warn Connection error: refused {"timestamp":"t","logger":"kafkajs","broker":"b:1","retryCount":2}',
    );
    expect(lines[1]).toMatch(/^debug Response SaslAuthenticate.*"authBytes":"\[redacted\]"/);
    expect(lines[2]).toMatch(/"username":"alice","password":"\[redacted\]"/);
    expect(lines.join('\n')).not.toMatch(/alice-pw|c2lnbmF0dXJl/);
  });
});
