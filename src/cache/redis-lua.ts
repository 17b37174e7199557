/**
 * Lua scripts for the Redis cache store. Each cache keeps, next to its
 * entries (plain keys with PX TTLs):
 *  - an expiry index (ZSET member → expiry on Redis's clock), to prune;
 *  - a lexical index (ZSET, every score 0), so an invalidation reads only
 *    the key range under its literal prefix (ZRANGEBYLEX), O(log N + matches);
 *  - a size per member (HASH) and a running byte total, so stats are exact.
 * Expired members are pruned a bounded batch at a time on every write.
 * All keys of one cache share a `{cache:NAME}` hash tag (one cluster slot).
 *
 * KEYS[1] expiry ZSET, KEYS[2] sizes HASH, KEYS[3] byte counter, KEYS[4] lex ZSET, KEYS[5..] entry keys.
 */
const PRUNE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 200)
for _, m in ipairs(expired) do
  local s = redis.call('HGET', KEYS[2], m)
  if s then redis.call('DECRBY', KEYS[3], s) end
  redis.call('HDEL', KEYS[2], m)
  redis.call('ZREM', KEYS[1], m)
  redis.call('ZREM', KEYS[4], m)
end
`;

/** ARGV: member, value, ttl ms, size. Stores one entry and indexes it. */
export const SET_LUA = `${PRUNE}
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('DECRBY', KEYS[3], old) end
redis.call('SET', KEYS[5], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('ZADD', KEYS[4], 0, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('INCRBY', KEYS[3], ARGV[4])
return 1
`;

/** ARGV: members (parallel to KEYS[5..]). Deletes entries; returns how many were live. */
export const DELETE_LUA = `
local n = 0
for i, m in ipairs(ARGV) do
  n = n + redis.call('DEL', KEYS[4 + i])
  redis.call('ZREM', KEYS[4], m)
  local s = redis.call('HGET', KEYS[2], m)
  if s then redis.call('DECRBY', KEYS[3], s) end
  redis.call('HDEL', KEYS[2], m)
  redis.call('ZREM', KEYS[1], m)
end
return n
`;

/** Prunes, then returns { live entries, bytes }. */
export const STATS_LUA = `${PRUNE}
return { redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0') }
`;
