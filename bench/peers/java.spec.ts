import { describe, expect, it } from '@jest/globals';
import { javaProducerProps, parseJavaResult } from './java.js';
import type { CellSpec } from '../support/types.js';

describe('parseJavaResult', () => {
  it('reads the result line among the window lines and Kafka noise', () => {
    const stdout = [
      'window start',
      'window end',
      'result {"sent":1200,"acked":1200,"errors":0,"windowAcked":900,"windowErrors":0,"windowRequests":12.0,"windowSeconds":10.001,"recordsPerRequestAvg":75.5,"batchSizeAvg":null,"firstError":null}',
      '',
    ].join('\n');
    expect(parseJavaResult(stdout)).toEqual({
      sent: 1200,
      acked: 1200,
      errors: 0,
      windowAcked: 900,
      windowErrors: 0,
      windowRequests: 12,
      windowSeconds: 10.001,
      recordsPerRequestAvg: 75.5,
      batchSizeAvg: null,
      firstError: null,
    });
  });

  it('is undefined when the JVM printed no result', () => {
    expect(parseJavaResult('window start\n')).toBeUndefined();
  });
});

describe('javaProducerProps', () => {
  it('sets the same producer settings as the Node peers, all explicit', () => {
    const spec = {
      shape: { size: 100, keyed: false, acks: -1, compression: 'none' },
      tuning: { lingerMs: 5, batchSize: 16384 },
    } as unknown as CellSpec;
    expect(javaProducerProps(['h:1', 'h:2'], spec)).toEqual([
      'bootstrap.servers=h:1,h:2',
      'client.id=bench-java',
      'acks=all',
      'enable.idempotence=true',
      'linger.ms=5',
      'batch.size=16384',
      'compression.type=none',
      'max.in.flight.requests.per.connection=5',
      'buffer.memory=33554432',
    ]);
  });
});
