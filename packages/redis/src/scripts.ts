/**
 * The Lua scripts behind the queue and the frontier. Each runs atomically on the server, so
 * "check who holds the entry, then acknowledge it" (or claim it, or move it to the dead
 * letters) cannot interleave with another consumer doing the same.
 *
 * Invariant every script keeps: an entry leaves the work stream (`XDEL`) exactly when it is
 * acknowledged, by its consumer's `taskDone()` or by the move to the dead letters. So the
 * stream holds the entries not yet delivered plus the pending ones, and the group's lag is
 * `XLEN - pending` (the `lag` field of `XINFO GROUPS` can be unknown once entries are
 * deleted, so it is not used). Nothing ever trims the work stream.
 */
import { Script } from './adapter.ts';

/** Reads `XPENDING key group` as a count; 0 when the group does not exist yet. */
const PENDING = `
local function pending(key, group)
  local p = redis.pcall('XPENDING', key, group)
  if type(p) == 'table' and p.err == nil then return p[1] end
  return 0
end
`;

/** Server time in milliseconds (the same clock for every host). */
const NOW = `
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Does `consumer` hold `id`? */
const OWNS = `
local function owns(key, group, consumer, id)
  local p = redis.call('XPENDING', key, group, id, id, 1)
  return #p == 1 and p[1][2] == consumer
end
`;

/**
 * KEYS: stream, meta. ARGV: group. Creates the group (from the start of the stream, so items
 * put before any consumer came are delivered) unless it exists. Returns '' or, when the
 * stream is served by another group, that group's name.
 */
export const ENSURE = new Script(`
local g = redis.call('HGET', KEYS[2], 'group')
if g and g ~= ARGV[1] then return g end
if not g then redis.call('HSET', KEYS[2], 'group', ARGV[1]) end
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
return ''
`);

/**
 * KEYS: stream. ARGV: group, maxsize, field, data. Adds the entry unless the items not yet
 * delivered number `maxsize` or more. Returns the new id, or 0 when full.
 */
export const PUT_BOUNDED = new Script(`${PENDING}
local max = tonumber(ARGV[2])
local n = redis.call('XLEN', KEYS[1])
if n >= max and n - pending(KEYS[1], ARGV[1]) >= max then return 0 end
return redis.call('XADD', KEYS[1], '*', ARGV[3], ARGV[4])
`);

/**
 * KEYS: stream. ARGV: group, consumer, ids... Acknowledges and deletes each id that
 * `consumer` still holds. Returns { XLEN after, then 1 (done) or 0 (lease lost) per id }.
 */
export const ACK = new Script(`${OWNS}
local out = {0}
local done = {}
for i = 3, #ARGV do
  if owns(KEYS[1], ARGV[1], ARGV[2], ARGV[i]) then
    table.insert(done, ARGV[i])
    table.insert(out, 1)
  else
    table.insert(out, 0)
  end
end
if #done > 0 then
  redis.call('XACK', KEYS[1], ARGV[1], unpack(done))
  redis.call('XDEL', KEYS[1], unpack(done))
end
out[1] = redis.call('XLEN', KEYS[1])
return out
`);

/** KEYS: stream. ARGV: field, values... Adds one entry per value. Returns how many. */
export const PUT_MANY = new Script(`
for i = 2, #ARGV do redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[i]) end
return #ARGV - 1
`);

/**
 * KEYS: stream [, busy]. ARGV: group, consumer, leaseMs, busy ('1' or '0'), ids...
 * Renews the lease (idle time 0, delivery count unchanged) of each id the consumer still
 * holds, and its entry in the busy set; returns the ids it no longer holds.
 */
export const HEARTBEAT = new Script(`${OWNS}${NOW}
local lost = {}
local claim = {'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0}
for i = 5, #ARGV do
  if owns(KEYS[1], ARGV[1], ARGV[2], ARGV[i]) then
    table.insert(claim, ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
if #claim > 5 then
  table.insert(claim, 'JUSTID')
  redis.call(unpack(claim))
end
if ARGV[4] == '1' and KEYS[2] then
  redis.call('ZADD', KEYS[2], now() + tonumber(ARGV[3]), ARGV[2])
end
return lost
`);

/**
 * KEYS: stream, dead. ARGV: group, consumer, minIdleMs, maxDeliveries, count, start.
 * Scans up to `count` pending entries idle for `minIdleMs` or more from `start`: an entry
 * of another consumer that was delivered `maxDeliveries` times goes to the dead letters
 * (with its id, deliveries and last consumer); any other is claimed for `consumer`.
 * The consumer's own idle entries are left alone (its heartbeat renews them).
 * Returns { last id scanned or '', how many scanned, { {id, fields, deliveries}... }, dead }.
 */
export const RECLAIM = new Script(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', tonumber(ARGV[3]), ARGV[6], '+', tonumber(ARGV[5]))
local claimed = {}
local dead = 0
local last = ''
for _, e in ipairs(p) do
  local id, owner, n = e[1], e[2], tonumber(e[4])
  last = id
  if owner ~= ARGV[2] then
    local r = redis.call('XRANGE', KEYS[1], id, id)
    if #r == 0 then
      redis.call('XACK', KEYS[1], ARGV[1], id)
    elseif n >= tonumber(ARGV[4]) then
      local add = {'XADD', KEYS[2], '*', 'id', id, 'deliveries', n, 'consumer', owner}
      for _, f in ipairs(r[1][2]) do table.insert(add, f) end
      redis.call(unpack(add))
      redis.call('XACK', KEYS[1], ARGV[1], id)
      redis.call('XDEL', KEYS[1], id)
      dead = dead + 1
    else
      local c = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), id)
      if c[1] then table.insert(claimed, {c[1][1], c[1][2], n + 1}) end
    end
  end
end
return {last, #p, claimed, dead}
`);

/**
 * KEYS: stream, dead. ARGV: group, consumer, id, reason. Moves an entry the consumer holds
 * and cannot decode to the dead letters. Returns 1, or 0 when it no longer holds it.
 */
export const DEAD_LETTER = new Script(`${OWNS}
if not owns(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
local r = redis.call('XRANGE', KEYS[1], ARGV[3], ARGV[3])
if #r == 1 then
  local add = {'XADD', KEYS[2], '*', 'id', ARGV[3], 'deliveries', 0, 'consumer', ARGV[2], 'reason', ARGV[4]}
  for _, f in ipairs(r[1][2]) do table.insert(add, f) end
  redis.call(unpack(add))
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1
`);

/**
 * KEYS: stream. ARGV: group, consumer, idleMs, then pairs of id and delivery count.
 * Gives back entries the consumer read but never handed to a caller: each stays pending,
 * with its delivery count set back and its idle time set to `idleMs`, so the next reclaim
 * by any other consumer takes it at once. Returns how many were released.
 */
export const RELEASE = new Script(`${OWNS}
local n = 0
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  if owns(KEYS[1], ARGV[1], ARGV[2], id) then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'IDLE', ARGV[3], 'RETRYCOUNT', tonumber(ARGV[i + 1]), 'JUSTID')
    n = n + 1
  end
end
return n
`);

/** KEYS: stream. ARGV: group. Returns { items not yet delivered, items pending }. */
export const STATE = new Script(`${PENDING}
local pend = pending(KEYS[1], ARGV[1])
return {redis.call('XLEN', KEYS[1]) - pend, pend}
`);

/**
 * KEYS: stream. ARGV: group, consumer, pruneIdleMs. Deletes the consumer from the group if it
 * holds nothing (never one that holds entries: that would drop them from the pending list),
 * and any other consumer that holds nothing and was idle for `pruneIdleMs` (a process that
 * died). Returns how many were deleted.
 */
export const PRUNE = new Script(`
local n = 0
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then return 0 end
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  local mine = info['name'] == ARGV[2]
  if info['pending'] == 0 and (mine or info['idle'] >= tonumber(ARGV[3])) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    n = n + 1
  end
end
return n
`);

/**
 * KEYS: seen, stream, busy. ARGV: url, consumer, leaseMs, register ('1' or '0'), depth.
 * Adds `url` to the seen set and, when it is new, to the frontier stream with its depth, in
 * one step (a crash cannot leave a URL seen but never queued). With `register`, also marks
 * the consumer busy for `leaseMs`. Returns 1 when the URL was new.
 */
export const CLAIM = new Script(`${NOW}
if ARGV[4] == '1' then redis.call('ZADD', KEYS[3], now() + tonumber(ARGV[3]), ARGV[2]) end
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'u', ARGV[1], 'depth', ARGV[5])
return 1
`);

/**
 * KEYS: stream, busy. ARGV: group, consumer, idle ('1': the consumer holds nothing and waits).
 * Drops the workers whose lease ran out, and the consumer itself when it is idle. Returns
 * { items not delivered, items pending, busy workers }: the crawl has ended when all are 0.
 */
export const FINISHED = new Script(`${PENDING}${NOW}
if ARGV[3] == '1' then redis.call('ZREM', KEYS[2], ARGV[2]) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now())
local pend = pending(KEYS[1], ARGV[1])
return {redis.call('XLEN', KEYS[1]) - pend, pend, redis.call('ZCARD', KEYS[2])}
`);
