-- Full feed pages at random cursors for wrk (bench_feed_pages.py).
-- Usage: wrk -t1 -c32 -d10s -s bench/feed_wrk.lua URL -- TOKEN PAYMENTS LIMIT
-- Each request asks for LIMIT items after a random cursor below PAYMENTS - LIMIT, so every
-- answer is a full page; an empty URL path answers every request (the bare ASGI app).

local path_format = "/payments/bucket/payments/?after=%d&limit=%d"
local headers = {}
local payments = 0
local limit = 100
local bad = 0

function init(args)
  headers["Authorization"] = "Token " .. args[1]
  headers["Host"] = "relay"
  payments = tonumber(args[2])
  limit = tonumber(args[3])
  math.randomseed(os.time())
end

function request()
  local after = math.random(0, payments - limit)
  return wrk.format("GET", string.format(path_format, after, limit), headers)
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "bytes": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, summary.bytes
  ))
end
