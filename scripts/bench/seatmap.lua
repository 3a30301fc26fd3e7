-- wrk script: GET a random flight's seat map out of the paths listed in PATHS_FILE.
-- The requests are formatted once, and there is no response() callback: with one, wrk would
-- copy every body into Lua, and the load generator, not the server, would set the pace.
-- wrk itself counts answers outside 2xx and 3xx (summary.errors.status).
local requests = {}

function init(args)
  for line in io.lines(os.getenv("PATHS_FILE")) do requests[#requests + 1] = wrk.format("GET", line) end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  return requests[math.random(#requests)]
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  local bad = errors.connect + errors.read + errors.write + errors.timeout + errors.status
  io.write(string.format("RESULT rps=%.0f p50=%.3f p99=%.3f requests=%d failed=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, bad))
end
