-- wrk script: signed-in passengers racing for seats on one hot flight. Each request picks a
-- random passenger (a line "token passengerId" of CLIENTS_FILE) and a random seat of SEATS_FILE.
local clients, seats = {}, {}
local flight = os.getenv("HOT_FLIGHT")

function init(args)
  for line in io.lines(os.getenv("CLIENTS_FILE")) do
    local token, passenger = line:match("(%S+) (%S+)")
    clients[#clients + 1] = { token = token, body = '{"passengerId":"' .. passenger .. '"}' }
  end
  for line in io.lines(os.getenv("SEATS_FILE")) do seats[#seats + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local client = clients[math.random(#clients)]
  local path = "/flights/" .. flight .. "/seats/" .. seats[math.random(#seats)] .. "/hold"
  return wrk.format("POST", path, { ["Authorization"] = "Bearer " .. client.token,
                                     ["Content-Type"] = "application/json" }, client.body)
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

created, conflicts, other = 0, 0, 0
function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status == 409 then conflicts = conflicts + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local c, x, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created"); x = x + thread:get("conflicts"); o = o + thread:get("other")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.0f p50=%.3f p99=%.3f requests=%d created=%d conflicts=%d failed=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, c, x, o + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
