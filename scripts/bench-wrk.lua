-- The requests of `make bench` (scripts/bench.sh), and one JSON line of figures at the end.
--   BENCH_MODE=get     GET the URL (the list page)
--   BENCH_MODE=list    POST an empty form (the JSON list endpoint)
--   BENCH_MODE=create  POST a new user; every request has an email of its own
--   BENCH_MODE=post    POST BENCH_BODY (a URL-encoded form, e.g. q=ma for the search endpoint)
-- BENCH_TOKEN is an API token, sent as a script sends it.

local mode = os.getenv("BENCH_MODE") or "get"
local token = os.getenv("BENCH_TOKEN") or ""
local body = os.getenv("BENCH_BODY") or ""
local run = tostring(os.time())
local threads = {}
local next_thread = 0

function setup(thread)
   next_thread = next_thread + 1
   thread:set("thread_number", next_thread)
   table.insert(threads, thread)
end

local sent = 0

function init(args)
   wrk.headers["Authorization"] = "Bearer " .. token
   if mode ~= "get" then
      wrk.method = "POST"
      wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
      wrk.headers["Accept"] = "application/json"
      wrk.body = body
   end
end

function request()
   if mode ~= "create" then
      return wrk.request()
   end
   sent = sent + 1
   local email = string.format("wrk-%s-%d-%d%%40example.com", run, thread_number, sent)
   return wrk.format(nil, nil, nil, "name=Wrk+Create&email=" .. email)
end

function done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local errors = summary.errors
   io.write(string.format(
      '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"failed":%d}\n',
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      errors.connect + errors.read + errors.write + errors.timeout + errors.status))
end
