import { ConfigurationError } from '../../errors/configuration.error.js';
import type { RecordPart } from '../../errors/serialization.error.js';
import type { SubjectNameStrategy } from '../../interfaces/schema-registry.interface.js';
import { RegistryMessages } from './registry.messages.js';

/**
 * The subject of a schema, as Confluent's strategies name it: `TopicName` is
 * `<topic>-key` / `<topic>-value`, `RecordName` the record's full name (for keys and values
 * alike), `TopicRecordName` `<topic>-<full name>`.
 */
export function subjectName(
  strategy: SubjectNameStrategy,
  topic: string,
  part: RecordPart,
  recordName: string | undefined,
): string {
  if (typeof strategy === 'function') {
    const subject = strategy({ topic, part, recordName });
    if (typeof subject !== 'string' || subject === '') {
      throw new ConfigurationError(RegistryMessages.badSubject(String(subject)));
    }
    return subject;
  }
  if (strategy === 'TopicName') return `${topic}-${part}`;
  if (strategy !== 'RecordName' && strategy !== 'TopicRecordName') {
    throw new ConfigurationError(RegistryMessages.unknownStrategy(String(strategy)));
  }
  if (!recordName) throw new ConfigurationError(RegistryMessages.noRecordName(strategy));
  return strategy === 'RecordName' ? recordName : `${topic}-${recordName}`;
}
