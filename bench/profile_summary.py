"""Summarise py-spy collapsed stacks (`bench/run --profile` writes them to bench/results/profile-*.txt).

usage: .venv/bin/python bench/profile_summary.py FILE [FILE...]

Prints, as a share of the samples of the server's main thread (the event loop): the phases of a request
(inclusive: auth, pricing reads, the write transaction, the 201 read-back, catalog reads, validation, response
encoding) and cross-cutting costs (pool checkout + pre-ping, SQL compilation and cache keys, the database driver,
uvicorn's HTTP layer), then the top self-time frames.
"""

import sys
from collections import Counter

PHASES = [
    ("auth: token lookup + permissions (dependency)", ("_current_user (ticketbooth/dependencies.py",)),
    ("booking: pricing reads (price_order)", ("price_order (ticketbooth/booking/service.py",)),
    ("booking: write transaction (run_transaction)", ("run_transaction (ticketbooth/db/database.py",)),
    ("booking: 201 body read-back (booking_response)", ("booking_response (ticketbooth/booking/service.py",)),
    ("catalog: list_events / availability", ("list_events (ticketbooth/catalog/service.py",
                                             "get_availability (ticketbooth/catalog/service.py")),
    ("request body parsing + validation", ("request_body_to_args", "_validate_value_with_model_field",
                                           "validate_python", "Request.json", "Request.body")),
    ("response validation + JSON encoding", ("serialize_response", "_prepare_response_content", "jsonable_encoder",
                                             "JSONResponse.render", "dump_json", "dump_python")),
]
CROSS = [
    ("pool checkout + pool_pre_ping", ("_do_ping", "_async_ping", "_ConnectionFairy._checkout", "Pool.connect",
                                       "_ConnectionRecord.checkout")),
    ("SQLAlchemy statement build + compile + cache key", ("_compile_w_cache", "_generate_cache_key", "compile (",
                                                          "select (sqlalchemy", "Select.__init__", "operate (sqlalchemy")),
    ("result rows (SQLAlchemy Row/CursorResult)", ("CursorResult.", "Result.all", "Result.first", "_fetchall_impl")),
    ("database driver (asyncpg / asyncmy / aiosqlite)", ("asyncpg/", "asyncmy/", "aiosqlite/")),
    ("greenlet bridge (await_ / greenlet_spawn)", ("greenlet_spawn", "await_ (sqlalchemy")),
    ("uvicorn HTTP parsing / writing", ("HttpToolsProtocol.", "RequestResponseCycle.send", "RequestResponseCycle.receive")),
]


def load(paths: list[str]) -> list[tuple[list[str], int]]:
    stacks = []
    for path in paths:
        for line in open(path):
            line = line.rstrip()
            if line:
                stack, n = line.rsplit(" ", 1)
                stacks.append((stack.split(";"), int(n)))
    return stacks


def main() -> None:
    stacks = load(sys.argv[1:])
    main_thread = [(f, n) for f, n in stacks if any("Runner.run" in x or "Server.run (uvicorn" in x for x in f)]
    total = sum(n for _, n in main_thread) or 1
    in_request = sum(n for f, n in main_thread if any("run_asgi" in x for x in f))
    idle = sum(n for f, n in main_thread if f[-1].startswith(("Runner.run", "select (selectors", "BaseSelectorEventLoop.select")))
    print(f"main-thread samples: {total}; inside a request (run_asgi): {in_request / total:.1%}; "
          f"event loop waiting/idle: {idle / total:.1%}")

    def share(patterns) -> float:
        return sum(n for f, n in main_thread if any(p in x for x in f for p in patterns)) / total

    print("\nphases of a request (inclusive, % of main-thread samples):")
    for label, pats in PHASES:
        print(f"  {share(pats):6.1%}  {label}")
    print("\ncross-cutting (inclusive):")
    for label, pats in CROSS:
        print(f"  {share(pats):6.1%}  {label}")
    self_time = Counter()
    for f, n in main_thread:
        self_time[f[-1]] += n
    print("\ntop self time:")
    for frame, n in self_time.most_common(15):
        print(f"  {n / total:6.1%}  {frame[:140]}")
    threads = sum(n for f, n in stacks) - total
    if threads > 0:
        print(f"\nother threads (thread pools, aiosqlite workers): {threads} samples "
              f"({threads / (threads + total):.1%} of all)")


if __name__ == "__main__":
    main()
