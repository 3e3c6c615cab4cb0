import { ConfigurationError } from '../../errors/configuration.error.js';
import { subjectName } from './subject-name.js';

describe('subjectName', () => {
  it('TopicName: <topic>-key and <topic>-value', () => {
    expect(subjectName('TopicName', 'orders', 'value', 'shop.Order')).toBe('orders-value');
    expect(subjectName('TopicName', 'orders', 'key', undefined)).toBe('orders-key');
  });

  it('RecordName and TopicRecordName use the full name, for keys and values alike', () => {
    expect(subjectName('RecordName', 'orders', 'value', 'shop.Order')).toBe('shop.Order');
    expect(subjectName('RecordName', 'orders', 'key', 'shop.Order')).toBe('shop.Order');
    expect(subjectName('TopicRecordName', 'orders', 'key', 'shop.Order')).toBe('orders-shop.Order');
  });

  it('a function names it; a schema without a name, an empty name or an unknown strategy is refused', () => {
    expect(subjectName(({ topic, part }) => `${part}.${topic}`, 'orders', 'value', undefined)).toBe(
      'value.orders',
    );
    expect(() => subjectName('RecordName', 'orders', 'value', undefined)).toThrow(
      ConfigurationError,
    );
    expect(() => subjectName(() => '', 'orders', 'value', undefined)).toThrow(/non-empty string/);
    expect(() => subjectName('Topic' as 'TopicName', 'orders', 'value', undefined)).toThrow(
      /unknown subject name strategy "Topic"/,
    );
  });
});
