import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * TLS with a broker failed: its certificate did not verify (not signed by a CA in `ssl.ca`,
 * issued for another host name, expired), or the handshake failed (the broker refused the
 * client's certificate, or the port does not speak TLS). Fatal: trying again meets the same
 * certificate. `code` is Node's (OpenSSL's) error code, e.g. `SELF_SIGNED_CERT_IN_CHAIN`,
 * `ERR_TLS_CERT_ALTNAME_INVALID` or `ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE`.
 */
export class TlsError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly broker: string | undefined,
    readonly code: string,
    reason: string,
    cause?: unknown,
  ) {
    super(Messages.tls(broker, code, reason), cause);
  }
}
