/** Errors of the Kafka edge adapter: bad settings, a topic or schema the edge cannot use, a broker refusal. */
import { AlphaError } from '../../core/errors.ts';

export class KafkaEdgeError extends AlphaError {
  override readonly name = 'KafkaEdgeError';
}
