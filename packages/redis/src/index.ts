export { type Codec, jsonCodec } from './codec.ts';
export { type ConnectOptions, connect, RedisConnection } from './connection.ts';
export {
  CodecError,
  GroupMismatchError,
  InvalidNameError,
  InvalidRedisUrlError,
  LeaseLostError,
  RedisCommandError,
  RedisUnavailableError,
} from './errors.ts';
export { validateName } from './names.ts';
export {
  type ClaimOptions,
  RedisFrontier,
  type RedisFrontierOptions,
  type RedisFrontierStats,
} from './redis-frontier.ts';
export { RedisQueue, type RedisQueueOptions, type RedisQueueStats } from './redis-queue.ts';
export { RedisSet } from './redis-set.ts';
