import { ConfigurationError } from '../../errors/configuration.error.js';
import { checkKafkajsInternals } from './kafkajs-internals.js';

describe('checkKafkajsInternals', () => {
  it('passes on the installed kafkajs 2.2.4', () => {
    expect(() => checkKafkajsInternals()).not.toThrow();
  });

  it('a kafkajs without the Produce request file is a ConfigurationError naming its version', () => {
    const missing = () => {
      throw Object.assign(new Error('Cannot find module'), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => checkKafkajsInternals(missing)).toThrow(ConfigurationError);
    expect(() => checkKafkajsInternals(missing)).toThrow(
      /^kafkajs 2\.2\.4 lacks 'kafkajs\/src\/protocol\/requests\/produce\/index\.js'.*install kafkajs@~2\.2\.4$/,
    );
  });

  it('a file that moved its export is reported too', () => {
    expect(() => checkKafkajsInternals(() => ({}))).toThrow(/lacks protocol of /);
  });
});
