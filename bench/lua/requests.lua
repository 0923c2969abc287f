-- Sends the requests listed in the file named by the first argument, in turn,
-- one per line: METHOD <tab> PATH <tab> CONTENT-TYPE <tab> BODY.
-- At the end it prints one line "BENCH {json}" for the harness to read.

local requests = {}
local next_index = 1

function init(args)
  for line in io.lines(args[1]) do
    local method, path, content_type, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if content_type ~= "" then
      headers["Content-Type"] = content_type
    end
    if body == "" then
      body = nil
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
