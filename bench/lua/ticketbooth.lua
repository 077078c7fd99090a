-- wrk script for the Ticketbooth benchmark (bench/run). All parameters come from environment variables,
-- because wrk hands its `-- args` only to the per-thread states, not to the main state that runs done().
--
--   TB_MODE      ga | seated | seated-map | seated-pick | sellout | events | avail | mix | plain (the HTTP ceiling:
--                GET /plain of bench/ceiling/plain_app.py)
--   TB_TOKENS    file with one bearer token per line (distinct users)
--   TB_OUT       JSON file written by done()
--   TB_GA_DATE, TB_GA_TIER        the GA show and its hot tier
--   TB_SEAT_DATE, TB_SEAT_MIN, TB_SEAT_MAX, TB_HOT_SEATS   the seated show: seat id range and its "front" block
--   TB_VIEW      seated-map: file with one byte per seat of the show, "0" shown free and "1" taken, kept current
--                from the show's live availability stream by the harness; re-read every TB_VIEW_REFRESH_S
--   TB_PICK_TIER seated-pick: the tier (ticket type id) of the front block, which half of the buyers ask for
--   TB_AVAIL_DATE                 the show whose availability is browsed
--   TB_QUOTA     sellout: booking attempts per wrk thread; afterwards the thread sends GET /health fillers and
--                stops as soon as all of its booking attempts are answered (so orders == 201s exactly), or
--                TB_TIMEOUT_S + 1 s after its last attempt was sent (attempts that timed out never answer)
--   TB_BOOK_FRACTION   mix: share of booking requests (default 0.1)
--
-- Every booking asks for 1-4 tickets (GA) or 1-4 adjacent seats (seated), with a random user's token.
-- response() counts statuses per thread, the tickets in each 201 body and the 201s of each second; done() sums the
-- threads.

local threads = {}
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } tb_timespec;
int clock_gettime(int clk_id, tb_timespec *tp);
]]
local ts = ffi.new("tb_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local function env_num(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return tonumber(v)
end

function init(args)
  mode = os.getenv("TB_MODE") or "ga"
  tokens = {}
  local f = assert(io.open(os.getenv("TB_TOKENS"), "r"))
  for line in f:lines() do
    if #line > 0 then tokens[#tokens + 1] = "Bearer " .. line end
  end
  f:close()
  ga_date = env_num("TB_GA_DATE", 0)
  ga_tier = env_num("TB_GA_TIER", 3)
  seat_date = env_num("TB_SEAT_DATE", 0)
  seat_min = env_num("TB_SEAT_MIN", 1)
  seat_max = env_num("TB_SEAT_MAX", 1)
  hot_seats = env_num("TB_HOT_SEATS", 6000)
  avail_date = env_num("TB_AVAIL_DATE", 0)
  quota = env_num("TB_QUOTA", 0)
  give_up_after = env_num("TB_TIMEOUT_S", 5) + 1
  last_sent = 0
  book_fraction = env_num("TB_BOOK_FRACTION", 0.1)
  view_file = os.getenv("TB_VIEW")
  pick_tier = env_num("TB_PICK_TIER", 1)
  pick_max = 4          -- seated-pick: the most seats side by side this thread's buyers still ask for
  pick_tier_left = true -- seated-pick: whether the front block's tier still has seats, as far as the answers tell
  view_refresh_s = env_num("TB_VIEW_REFRESH_S", 0.1)
  view, view_at = nil, -1
  -- globals, read by done() through thread:get
  counts = {}
  sent = 0
  tickets = 0
  sent_bookings = 0
  answered_bookings = 0
  fillers = 0
  ok_by_second = {}  -- 201s by second of the run (1-based), from this thread's first request
  last_ok_s = 0      -- when this thread's last 201 arrived, in s from its first request
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  for _ = 1, 10 do math.random() end
  -- Browsers always accept gzip; the catalog serves pre-compressed bodies.
  local browse_headers = {["Accept-Encoding"] = "gzip"}
  events_req = wrk.format("GET", "/api/events", browse_headers)
  avail_req = wrk.format("GET", "/api/event-dates/" .. avail_date .. "/availability", browse_headers)
  ga_detail_req = wrk.format("GET", "/api/event-dates/" .. ga_date, browse_headers)
  ga_avail_req = wrk.format("GET", "/api/event-dates/" .. ga_date .. "/availability", browse_headers)
  health_req = wrk.format("GET", "/health")
  plain_req = wrk.format("GET", "/plain")
end

local function headers()
  return {
    ["Authorization"] = tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
  }
end

local function ga_booking()
  local q = math.random(1, 4)
  local body = '{"eventDateId":' .. ga_date .. ',"customerName":"Bench Buyer","paymentSource":"card",' ..
               '"tiers":[{"ticketTypeId":' .. ga_tier .. ',"quantity":' .. q .. '}]}'
  return wrk.format("POST", "/api/bookings", headers(), body)
end

local function seated_booking()
  local n = math.random(1, 4)
  local first
  if math.random() < 0.5 then
    -- the front block everybody wants: overlapping requests, conflicts grow as it fills
    first = seat_min + math.random(0, math.max(0, math.min(hot_seats, seat_max - seat_min + 1) - n))
  else
    first = seat_min + math.random(0, math.max(0, seat_max - seat_min + 1 - n))
  end
  local parts = {}
  for i = 0, n - 1 do parts[#parts + 1] = '{"seatId":' .. (first + i) .. '}' end
  local body = '{"eventDateId":' .. seat_date .. ',"customerName":"Bench Buyer","paymentSource":"card",' ..
               '"seats":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/bookings", headers(), body)
end

local function load_view()
  local f = io.open(view_file, "rb")
  if f then
    local s = f:read("*a")
    f:close()
    if s and #s == seat_max - seat_min + 1 then view = s end
  end
  view_at = now()
end

-- 1-based position in the view of n adjacent seats shown free within [lo, hi]: where the buyer's eye lands, up to
-- eight random places (so picks spread over the free seats as buyers' tastes do), else the first such seats after
-- a random place or from the start of the block; nil if there are none.
local function free_run(n, lo, hi)
  local want = string.rep("0", n)
  if hi - lo + 1 < n then return nil end
  for _ = 1, 8 do
    local p = math.random(lo, hi - n + 1)
    if string.sub(view, p, p + n - 1) == want then return p end
  end
  local p = string.find(view, want, math.random(lo, hi), true)
  if p == nil or p + n - 1 > hi then p = string.find(view, want, lo, true) end
  if p == nil or p + n - 1 > hi then return nil end
  return p
end

-- The seated-map buyer: wants 1-4 adjacent seats, half of the buyers in the front block; takes fewer seats or
-- seats elsewhere when the map shows none so, and leaves when it shows the arena sold out (nil).
local function seated_map_booking()
  if view == nil or now() - view_at > view_refresh_s then load_view() end
  if view == nil then return nil end
  local front = math.random() < 0.5
  local n, pos = math.random(1, 4), nil
  while n >= 1 and pos == nil do
    if front then pos = free_run(n, 1, math.min(hot_seats, #view)) end
    if pos == nil then pos = free_run(n, 1, #view) end
    if pos == nil then n = n - 1 end
  end
  if pos == nil then return nil end
  local parts = {}
  for i = 0, n - 1 do parts[#parts + 1] = '{"seatId":' .. (seat_min + pos - 1 + i) .. '}' end
  local body = '{"eventDateId":' .. seat_date .. ',"customerName":"Bench Buyer","paymentSource":"card",' ..
               '"seats":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/bookings", headers(), body)
end

-- The seated-pick buyer: wants 1-4 seats side by side picked by the box office (pickSeats), half of the buyers in
-- the front block's tier; asks for fewer seats or any tier once the answers say none are left so (response()).
local function seated_pick_booking()
  local pick = '"quantity":' .. math.random(1, pick_max)
  if pick_tier_left and math.random() < 0.5 then pick = pick .. ',"ticketTypeId":' .. pick_tier end
  local body = '{"eventDateId":' .. seat_date .. ',"customerName":"Bench Buyer","paymentSource":"card",' ..
               '"pickSeats":{' .. pick .. '}}'
  return wrk.format("POST", "/api/bookings", headers(), body)
end

function request()
  if t0 == nil then t0 = now() end
  sent = sent + 1
  if mode == "ga" then
    return ga_booking()
  elseif mode == "seated" then
    return seated_booking()
  elseif mode == "seated-map" then
    local req = seated_map_booking()
    if req ~= nil then return req end
    -- sold out as shown: this thread's buyers leave; wrk still wants a request, a filler nobody counts
    sent = sent - 1
    wrk.thread:stop()
    return health_req
  elseif mode == "seated-pick" then
    if pick_max > 0 then return seated_pick_booking() end
    sent = sent - 1  -- sold out: this thread's buyers leave (see seated-map)
    wrk.thread:stop()
    return health_req
  elseif mode == "sellout" then
    if sent_bookings < quota then
      sent_bookings = sent_bookings + 1
      if sent_bookings == quota then last_sent = now() end
      return ga_booking()
    end
    fillers = fillers + 1
    if now() - last_sent > give_up_after then wrk.thread:stop() end
    return health_req
  elseif mode == "events" then
    return events_req
  elseif mode == "avail" then
    return avail_req
  elseif mode == "plain" then
    return plain_req
  elseif mode == "mix" then
    local r = math.random()
    if r < book_fraction then return ga_booking() end
    local k = math.random(3)
    if k == 1 then return events_req elseif k == 2 then return ga_detail_req else return ga_avail_req end
  end
  error("unknown TB_MODE " .. tostring(mode))
end

function response(status, hdrs, body)
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
  if status == 201 then
    local _, n = string.gsub(body, '"toName"', "")
    tickets = tickets + n
    local second = math.floor(now() - t0) + 1
    ok_by_second[second] = (ok_by_second[second] or 0) + 1
    last_ok_s = now() - t0
  elseif status == 200 and (mode == "seated-map" or mode == "seated-pick") then
    fillers = fillers + 1
  elseif status == 409 and mode == "seated-pick" and string.find(body, "INSUFFICIENT_INVENTORY", 1, true) then
    -- "No 3 seats side by side are left.", "No seat is left.", or the same of the front tier ("No 2 VIP seats ...")
    local fewer = tonumber(string.match(body, "No (%d+) seats side by side"))
    if fewer ~= nil then
      pick_max = math.min(pick_max, fewer - 1)
    elseif string.find(body, "No seat is left", 1, true) then
      pick_max = 0
    else
      pick_tier_left = false
    end
  end
  if mode == "sellout" and status ~= 200 then
    answered_bookings = answered_bookings + 1
    if answered_bookings >= quota then wrk.thread:stop() end
  end
end

function done(summary, latency, requests)
  local agg, total_tickets, total_fillers, total_sent, ok_seconds, last_second, last_ok = {}, 0, 0, 0, {}, 0, 0
  for _, t in ipairs(threads) do
    local c = t:get("counts") or {}
    for k, v in pairs(c) do agg[k] = (agg[k] or 0) + v end
    for s, v in pairs(t:get("ok_by_second") or {}) do
      ok_seconds[s] = (ok_seconds[s] or 0) + v
      if s > last_second then last_second = s end
    end
    total_tickets = total_tickets + (t:get("tickets") or 0)
    total_fillers = total_fillers + (t:get("fillers") or 0)
    total_sent = total_sent + (t:get("sent") or 0)
    last_ok = math.max(last_ok, t:get("last_ok_s") or 0)
  end
  local parts = {}
  for k, v in pairs(agg) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  local per_second = {}
  for s = 1, last_second do per_second[s] = tostring(ok_seconds[s] or 0) end
  local e = summary.errors
  local out = assert(io.open(os.getenv("TB_OUT"), "w"))
  out:write(string.format(
    '{"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d},' ..
    '"statuses":{%s},"tickets_in_201":%d,"fillers":%d,"sent":%d,"last_ok_s":%.3f,' ..
    '"ok_by_second":[%s]}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency:percentile(99.9),
    table.concat(parts, ","), total_tickets, total_fillers, total_sent, last_ok, table.concat(per_second, ",")))
  out:close()
end
