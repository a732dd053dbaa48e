/** The params of the Kafka operators (sink.kafka, source.kafka) that name where the broker and the registry are. */
import { z } from 'zod';
import { brokersProblem } from '../../lib/io/kafka/settings.ts';

/** The most partitions of a topic the project creates: each is a log with its own files and threads on the broker. */
export const MAX_PARTITIONS = 256;

export const kafkaAddressParams = {
  brokers: z
    .string()
    .superRefine((b, ctx) => {
      const problem = brokersProblem(b);
      if (problem) ctx.addIssue({ code: 'custom', message: `${problem}: expected host:port[,host:port…], ports from 1 to 65535` });
    })
    .optional()
    .describe("Kafka bootstrap brokers, host:port[,…] (default: the local services', 127.0.0.1:9092 or KAFKA_BROKERS)."),
  registry: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'expected an http(s) URL')
    .optional()
    .describe("Schema registry URL (default: the local services', or SCHEMA_REGISTRY_URL)."),
};
