-- Counts the responses whose status is not 200. wrk alone counts a 3xx as a success: a lost
-- session would redirect to the login page and look fast and fine.
local threads = {}

-- A POST when BENCH_POST_BODY is set (the patient search sends its terms in the body).
local post_body = os.getenv("BENCH_POST_BODY")
if post_body and post_body ~= "" then
  wrk.method = "POST"
  wrk.body = post_body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write(string.format("BENCH non200=%d requests=%d socket_errors=%d p50_ms=%.1f p99_ms=%.1f\n",
    total, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
