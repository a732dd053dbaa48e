/**
 * Where the Kafka edges connect (lib/io/kafka/settings.ts), read from the environment: a port outside
 * 1..65535 is refused, where librdkafka took 99999 modulo 65536 and connected to port 34463.
 */
import { describe, expect, it } from 'vitest';
import { brokersProblem, kafkaSettings } from '../../lib/io/kafka/settings.ts';

const NO_FILE = '/nonexistent/services.env';

describe('kafkaSettings', () => {
  it('takes host:port lists with ports from 1 to 65535', () => {
    expect(kafkaSettings({ KAFKA_BROKERS: '127.0.0.1:1, 127.0.0.1:65535' }, NO_FILE).brokers).toEqual(['127.0.0.1:1', '127.0.0.1:65535']);
    expect(kafkaSettings({ KAFKA_PORT: '9092' }, NO_FILE).brokers).toEqual(['127.0.0.1:9092']);
  });

  it.each(['127.0.0.1:99999', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:', 'host'])('refuses %j', (broker) => {
    expect(() => kafkaSettings({ KAFKA_BROKERS: broker }, NO_FILE)).toThrow(
      `KAFKA_BROKERS: "${broker}" is not host:port with a port from 1 to 65535 (in "${broker}")`,
    );
  });

  it('refuses a KAFKA_PORT outside the range the same way', () => {
    expect(() => kafkaSettings({ KAFKA_PORT: '70000' }, NO_FILE)).toThrow('"127.0.0.1:70000" is not host:port with a port from 1 to 65535');
  });

  it.each(['127.0.0.1:99999', '127.0.0.1:0', 'a:9092,127.0.0.1:65536'])(
    'refuses %j in an operator’s brokers param too (alpha validate)',
    (brokers) => {
      expect(brokersProblem(brokers)).toMatch(/is not host:port with a port from 1 to 65535$/);
      expect(brokersProblem('a:9092, b:1')).toBeUndefined();
      expect(brokersProblem('a:9092,')).toBeUndefined(); // a trailing comma, as in KAFKA_BROKERS
      expect(brokersProblem(' , ')).toBe('" , " names no broker');
    },
  );
});
