/**
 * Check-then-charge of every window of every policy of one request, in one
 * atomic round trip, on Redis's own clock (TIME) so clock skew between pods
 * changes nothing. It mirrors memory-store.ts + gcra.ts (`admits`, EPS_MS).
 *
 * Hand-written: rate-limiter-flexible's RateLimiterRedis is atomic for one
 * limiter, but it cannot check several windows of several policies and charge
 * them only if all allow, in one trip (its RateLimiterUnion charges the hour
 * window even when the minute window rejects).
 *
 * Several requests per call (the store batches what arrives in one turn of
 * the event loop), applied one after the other, so two requests for one key
 * in a batch count exactly as two calls would.
 *
 * KEYS     per request, one hash per (policy, key); field = window length in ms,
 *          value = TAT (ms, epoch)
 * ARGV[1]  number of requests
 * then per request: number of policies (= its KEYS), then per policy:
 * enforce (1|0), window count, and per window: window ms, limit
 *
 * Reply, per request in order: chargedAll (1|0), then per policy and window:
 * debt in µs (TAT − now, after the charge when charged, before it
 * otherwise; ceil), admits (1|0).
 * Each hash expires when its last window is fully refilled (the state then
 * equals a fresh key), so idle keys cost Redis nothing.
 *
 * Compatible with Redis ≥ 4 (variadic HSET) and Redis 7 (effects replication
 * is the only mode there; replicate_commands is a no-op kept for 4.x).
 * Redis Cluster: each key carries its own hash tag `{policy:key}`; a route
 * with one policy is one slot, a route with several would need them in one
 * slot, which the standalone client used here does not require.
 */
export const RATE_LIMIT_LUA = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local EPS = 0.01
local out = {}
local a = 2
local kb = 0
for r = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  a = a + 1
  local firsts, counts, pass = {}, {}, {}
  local tat0s, nexts, oks = {}, {}, {}
  local chargeAll = 1
  local j = 0
  for i = 1, n do
    local enforce = ARGV[a] == '1'
    local nw = tonumber(ARGV[a + 1])
    local first = a + 2
    a = first + 2 * nw
    firsts[i] = first
    counts[i] = nw
    local fields = {}
    for w = 1, nw do fields[w] = ARGV[first + 2 * (w - 1)] end
    local stored = redis.call('HMGET', KEYS[kb + i], unpack(fields))
    local p = true
    for w = 1, nw do
      local W = tonumber(ARGV[first + 2 * (w - 1)])
      local T = W / tonumber(ARGV[first + 2 * (w - 1) + 1])
      local tat = tonumber(stored[w])
      if tat == nil or tat < now then tat = now end
      j = j + 1
      tat0s[j] = tat
      nexts[j] = tat + T
      if tat + T - now <= W + EPS then
        oks[j] = 1
      else
        oks[j] = 0
        p = false
      end
    end
    pass[i] = p
    if enforce and not p then chargeAll = 0 end
  end
  out[#out + 1] = chargeAll
  j = 0
  for i = 1, n do
    local charge = chargeAll == 1 and pass[i]
    local hset = {}
    local maxDebt = 0
    for w = 1, counts[i] do
      j = j + 1
      local debt
      if charge then
        debt = nexts[j] - now
        hset[#hset + 1] = ARGV[firsts[i] + 2 * (w - 1)]
        hset[#hset + 1] = string.format('%.3f', nexts[j])
        if debt > maxDebt then maxDebt = debt end
      else
        debt = tat0s[j] - now
      end
      out[#out + 1] = math.ceil(debt * 1000)
      out[#out + 1] = oks[j]
    end
    if charge then
      redis.call('HSET', KEYS[kb + i], unpack(hset))
      redis.call('PEXPIRE', KEYS[kb + i], math.ceil(maxDebt) + 1)
    end
  end
  kb = kb + n
end
return out
`;
