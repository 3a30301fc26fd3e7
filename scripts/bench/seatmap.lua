-- wrk script: GET a random flight's seat map out of the paths listed in PATHS_FILE.
local paths = {}

function init(args)
  for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

non2xx = 0
function response(status, headers, body)
  if status < 200 or status >= 300 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local bad = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, thread in ipairs(threads) do bad = bad + (thread:get("non2xx") or 0) end
  io.write(string.format("RESULT rps=%.0f p50=%.3f p99=%.3f requests=%d failed=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, bad))
end
