/** The params of the Kafka operators (sink.kafka, source.kafka) that name where the broker and the registry are. */
import { z } from 'zod';
import { brokersProblem } from '../../lib/io/kafka/settings.ts';

export const kafkaAddressParams = {
  brokers: z
    .string()
    .refine((b) => brokersProblem(b) === undefined, { message: 'expected host:port[,host:port…]' })
    .optional()
    .describe("Kafka bootstrap brokers, host:port[,…] (default: the local services', 127.0.0.1:9092 or KAFKA_BROKERS)."),
  registry: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'expected an http(s) URL')
    .optional()
    .describe("Schema registry URL (default: the local services', or SCHEMA_REGISTRY_URL)."),
};
