-- wrk script (bench/swap.sh with SWAP_REASONS=1): counts the answers that were not 200 by status
-- and body (first 200 bytes), printed when wrk ends; parsing every answer slows wrk down a little
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failures = {} end
function response(status, headers, body)
  if status ~= 200 then
    local k = status .. " " .. string.sub(body or "", 1, 200)
    failures[k] = (failures[k] or 0) + 1
  end
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    local f = t:get("failures")
    for k, v in pairs(f) do io.write(string.format("FAIL %d x %s\n", v, k)) end
  end
end
