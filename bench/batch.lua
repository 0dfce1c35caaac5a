-- wrk: POST /v1/customers/batch with BENCH_ITEMS writes (two attributes each) to random
-- customers out of BENCH_CUSTOMERS. Prints "BENCH_RESULT {json}" at the end, as patch.lua.

local customers = tonumber(os.getenv("BENCH_CUSTOMERS") or "100000")
local items = tonumber(os.getenv("BENCH_ITEMS") or "100")
local plans = { "free", "pro", "enterprise" }
local thread_number = 0

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
  thread_number = thread_number + 1
  thread:set("thread_number", thread_number)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end

function request()
  local parts = {}
  for i = 1, items do
    parts[i] = string.format(
      '{"id": "c%d", "attributes": {"score": %d, "plan": "%s"}}',
      math.random(1, customers), math.random(0, 1000000), plans[math.random(1, 3)]
    )
  end
  local body = '{"customers": [' .. table.concat(parts, ", ") .. ']}'
  return wrk.format(nil, "/v1/customers/batch", nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "connect_errors": %d, '
      .. '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout
  ))
end
