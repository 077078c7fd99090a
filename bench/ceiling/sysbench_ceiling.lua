-- sysbench 1.0 script: the MariaDB ceiling for a Ticketbooth booking (one CALL of a stored procedure per event).
-- usage: sysbench sysbench_ceiling.lua --exp=ga|seated --ga=.. --ev=.. --tier=.. --price=.. --sd=.. --sev=..
--        --smin=.. --smax=.. --umin=.. --umax=.. --mysql-host=127.0.0.1 --mysql-port=3306 --mysql-user=root
--        --mysql-db=DB --threads=N --time=S --percentile=99 --db-ps-mode=disable run
sysbench.cmdline.options = {
  exp = {"ga | seated", "ga"},
  ga = {"GA event_date id", 0}, ev = {"GA event id", 0}, tier = {"ticket type id", 3}, price = {"price", 5000},
  sd = {"seated event_date id", 0}, sev = {"seated event id", 0},
  smin = {"first seat id of the pool", 1}, smax = {"last seat id of the pool", 1},
  umin = {"first user id", 1}, umax = {"last user id", 1},
}

function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  o = sysbench.opt
end

function thread_done()
  con:disconnect()
end

local R = sysbench.rand.uniform

function event()
  if o.exp == "ga" then
    con:query(string.format("CALL bench_book_ga(%d, %d, %d, %d, %d)", o.ga, o.ev, o.tier, R(1, 4), R(o.umin, o.umax)))
  else
    local n = R(1, 4)
    con:query(string.format("CALL bench_book_seated(%d, %d, %d, %d, %d, %d, %d)", o.sd, o.sev, o.tier, o.price,
      R(o.smin, o.smax - 3), n, R(o.umin, o.umax)))
  end
end
