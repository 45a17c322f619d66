-- Paid STK callbacks for wrk, one seeded push each (bench_ingest.py writes the list).
-- Usage: wrk -t1 -c32 -d10s --latency -s bench/ingest_wrk.lua URL -- PUSHES_FILE
-- PUSHES_FILE lines: "<number> <callback path>"; the body is what relay_seed.callbacks sends.
-- An empty URL path answers every request (the bare ASGI app ignores the path).

local pushes = {}
local count = 0
local sent = 0
local headers = { ["Content-Type"] = "application/json", ["Host"] = "relay" }
local template = '{"Body": {"stkCallback": {"MerchantRequestID": "MR", '
  .. '"CheckoutRequestID": "ws_CO_BENCH_%d", "ResultCode": 0, '
  .. '"ResultDesc": "The service request is processed successfully.", '
  .. '"CallbackMetadata": {"Item": [{"Name": "Amount", "Value": 10.0}, '
  .. '{"Name": "MpesaReceiptNumber", "Value": "BEN%07d"}, {"Name": "Balance"}, '
  .. '{"Name": "TransactionDate", "Value": 20261126120000}, '
  .. '{"Name": "PhoneNumber", "Value": 254708374149}]}}}}'

function init(args)
  for line in io.lines(args[1]) do
    local number, path = line:match("^(%d+) (%S+)$")
    count = count + 1
    pushes[count] = { tonumber(number), path }
  end
end

function request()
  sent = sent + 1
  -- Past the end, pushes repeat (duplicates are cheaper): bench_ingest.py seeds enough.
  local push = pushes[((sent - 1) % count) + 1]
  local body = string.format(template, push[1], push[1])
  return wrk.format("POST", push[2], headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, '
      .. '"max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max
  ))
end
