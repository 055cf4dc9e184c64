"""Turns the figures `make bench` collected (scripts/bench.sh) into BENCHMARKS.md, on stdout."""

import gzip
import json
import pathlib
import sys

results = pathlib.Path(sys.argv[1])
facts = dict(line.split("=", 1) for line in (results / "facts.txt").read_text().splitlines() if "=" in line)


def figures(name):
    return json.loads((results / name).read_text())


def rounds(name):
    """Every round of a measurement (one JSON line each), slowest first."""
    lines = (results / f"{name}.jsonl").read_text().splitlines()
    return sorted((json.loads(line) for line in lines if line.strip()), key=lambda r: r["rps"])


def median(name):
    runs = rounds(name)
    return runs[len(runs) // 2]


def speed(run):
    """requests/s | p50 | p99, as table cells."""
    return f"{run['rps']:,.0f} | {run['p50_ms']:.1f} ms | {run['p99_ms']:.1f} ms"


def each_round(name):
    return " / ".join(f"{r['rps']:,.0f}" for r in rounds(name))


def largest(table):
    """The largest partition's bytes and entries (two cells each), from tablehistograms."""
    try:
        size, cells = (results / f"largest-{table}").read_text().split()
        return f"{float(size) / 1e6:,.2f} MB, {float(cells) / 2:,.0f} entries"
    except (OSError, ValueError):
        return "n/a"


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "n/a"


def mb(kib):
    return f"{int(kib) * 1024 / 1e6:.1f} MB"


def kb(n):
    return f"{n / 1000:,.1f} KB"


lines = [
    "# Benchmarks",
    "",
    "Written by `make bench` (release build, the local Cassandra node, one run). Figures, not",
    "assertions: run it again on your machine before you compare.",
    "",
    f"- Date: {facts['date']}",
    f"- Machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory']}, {facts['kernel']}",
    f"- Versions: {facts['cassandra']}; {facts['rustc']}; {facts['cargo_leptos']}; {facts['chromium']}; {facts['wrk']}",
    f"- Command: `make bench` (each load run lasts {facts['seconds']} s, `BENCH_SECONDS`; compared figures are",
    f"  the median of {facts['rounds']} rounds, `BENCH_ROUNDS`, that alternate which side goes first, after a",
    f"  {facts['warm_up_seconds']} s warm-up of each side)",
    "",
    "## The browser bundle",
    "",
    "| file | raw | gzip | br |",
    "|---|---|---|---|",
]
pkg = pathlib.Path("target/site/pkg")
for path in sorted(pkg.iterdir()):
    if path.suffix in (".js", ".wasm", ".css"):
        size = lambda p: p.stat().st_size if p.exists() else 0
        gz = size(path.with_name(path.name + ".gz")) or len(gzip.compress(path.read_bytes(), 9))
        br = size(path.with_name(path.name + ".br"))
        lines.append(f"| `{path.name}` | {kb(path.stat().st_size)} | {kb(gz)} | {kb(br) if br else 'n/a'} |")

visits = figures("visits.json")
lines += [
    "",
    f"Bytes headless Chromium received for `/` with 50 users (Resource Timing `transferSize`: headers",
    "and compressed bodies; 0 for what the cache answered):",
    "",
    "| visit | total | of which |",
    "|---|---|---|",
]
for visit in (visits["first"], visits["repeat"]):
    parts = ", ".join(f"`{e['url']}` {kb(e['bytes'])}" for e in visit["entries"])
    lines.append(f"| {visit['visit']} | **{kb(visit['total'])}** | {parts} |")

page, listing = median("page"), median("list")
lines += [
    "",
    "## Rendering: the `/` page against the JSON list (50 rows, 32 connections)",
    "",
    "Both as a script calls them (API token, no `Accept-Encoding`), so neither is compressed.",
    "",
    "| endpoint | requests/s (median round) | p50 | p99 | failed | every round, requests/s |",
    "|---|---|---|---|---|---|",
    f"| `GET /` (HTML) | {speed(page)} | {page['failed']} | {each_round('page')} |",
    f"| `POST /api/users/list` (JSON) | {speed(listing)} | {listing['failed']} | {each_round('list')} |",
    f"| page ÷ JSON | **{ratio(page['rps'], listing['rps'])}** | | | | |",
    "",
    "## Creates: over HTTP against the store alone",
    "",
    "The store runs the prepared statements a create over HTTP runs (email index check, LWT claim,",
    "user row and audit event), minus HTTP, sessions and tokens.",
    "",
    "| concurrency | HTTP requests/s | HTTP p50 / p99 | store creates/s | store p50 / p99 | HTTP ÷ store | every round, HTTP; store |",
    "|---|---|---|---|---|---|---|",
]
for concurrency in (1, 8, 32):
    http_name, store_name = f"http-create-{concurrency}", f"store-create-{concurrency}"
    http, store = median(http_name), median(store_name)
    lines.append(
        f"| {concurrency} | {http['rps']:,.0f} | {http['p50_ms']:.1f} / {http['p99_ms']:.1f} ms"
        f" | {store['rps']:,.0f} | {store['p50_ms']:.1f} / {store['p99_ms']:.1f} ms"
        f" | **{ratio(http['rps'], store['rps'])}** | {each_round(http_name)}; {each_round(store_name)} |"
    )

raw = median("raw-create-32")
http_32 = median("http-create-32")
lines += [
    "",
    f"Against the driver doing only the seed's work (the email claim, then the row), 32 at once:"
    f" {raw['rps']:,.0f} creates/s ({raw['p50_ms']:.1f} / {raw['p99_ms']:.1f} ms); HTTP ÷ raw driver"
    f" **{ratio(http_32['rps'], raw['rps'])}** (every round: {each_round('raw-create-32')}).",
]

small, large = median("page-1k"), median("page-1m")
lines += [
    "",
    "## The list page (`GET /`, name order) as the table grows (8 connections, the median round)",
    "",
    "| users | requests/s | p50 | p99 |",
    "|---|---|---|---|",
    f"| 10^3 | {speed(small)} |",
    f"| 10^6 | {speed(large)} |",
    f"| 10^6 ÷ 10^3 | | **{ratio(large['p50_ms'], small['p50_ms'])}** | **{ratio(large['p99_ms'], small['p99_ms'])}** |",
    "",
]
search = {
    (size, kind): median(f"search-{size}-{kind}") for size in ("1k", "1m") for kind in ("common", "rare")
}
lines += [
    "## Search as the table grows (`POST /api/users/search`, 8 connections, the median round)",
    "",
    "`q=ma` starts a word of most users' names (a full page every time); `q=u777.` starts one",
    "user's email.",
    "",
    "| search | users | requests/s | p50 | p99 | 10^6 ÷ 10^3, p50 | p99 |",
    "|---|---|---|---|---|---|---|",
]
for kind, query in (("common", "q=ma"), ("rare", "q=u777.")):
    small_s, large_s = search[("1k", kind)], search[("1m", kind)]
    lines.append(f"| `{query}` | 10^3 | {speed(small_s)} | | |")
    lines.append(
        f"| `{query}` | 10^6 | {speed(large_s)} | **{ratio(large_s['p50_ms'], small_s['p50_ms'])}**"
        f" | **{ratio(large_s['p99_ms'], small_s['p99_ms'])}** |"
    )
if (results / "fresh-1m-list.jsonl").exists():
    lines += [
        "",
        "Right after the 10^6 load, before the node compacted it (one round each, same connections;",
        "the tables above were measured after compaction):",
        "",
        "| fresh | 10^3 p50 / p99 | 10^6 p50 / p99 | 10^6 ÷ 10^3, p50 | p99 |",
        "|---|---|---|---|---|",
    ]
    for what, label in (("list", "`GET /` (name order)"), ("common", "`q=ma`"), ("rare", "`q=u777.`")):
        small_f, large_f = median(f"fresh-1k-{what}"), median(f"fresh-1m-{what}")
        lines.append(
            f"| {label} | {small_f['p50_ms']:.1f} / {small_f['p99_ms']:.1f} ms | {large_f['p50_ms']:.1f} / {large_f['p99_ms']:.1f} ms"
            f" | **{ratio(large_f['p50_ms'], small_f['p50_ms'])}** | **{ratio(large_f['p99_ms'], small_f['p99_ms'])}** |"
        )
else:
    lines += ["", "The 10^6 dataset was reused from an earlier run, so no figures fresh from its load were taken."]
search_page, list_page = median("search-page"), median("list-page")
load_1m = figures("load-1m.json")
index_bytes = int((results / "search-index-bytes").read_text().strip() or 0)
table_bytes = int((results / "table-data-bytes").read_text().strip() or 0)
name_bytes = int((results / "name-order-bytes").read_text().strip() or 0)
loaded = (
    f"{load_1m['seconds']:,.0f} s ({load_1m['users'] / load_1m['seconds']:,.0f} users/s, each with its claim and entries)"
    if load_1m["seconds"]
    else "reused from an earlier run (see its report)"
)
bulk = [json.loads(l) for l in (results / "bulk-deletes.jsonl").read_text().splitlines() if l.strip()]
writes = [json.loads(l) for l in (results / "row-writes.jsonl").read_text().splitlines() if l.strip()]
lines += [
    "",
    "| page, 10^3 users, 32 connections | requests/s (median round) | p50 | p99 | every round |",
    "|---|---|---|---|---|",
    f"| `GET /?q=ma` (search) | {speed(search_page)} | {each_round('search-page')} |",
    f"| `GET /` (list) | {speed(list_page)} | {each_round('list-page')} |",
    f"| search ÷ list | **{ratio(search_page['rps'], list_page['rps'])}** | | | |",
    "",
    f"- Search's entries (`ordered_terms`) on disk with 10^6 users, flushed and compacted: {index_bytes / 1e6:,.1f} MB,"
    f" the name order's (`ordered_names`) {name_bytes / 1e6:,.1f} MB, against `users`' data files {table_bytes / 1e6:,.1f} MB:"
    f" search ÷ users **{ratio(index_bytes, table_bytes)}**, search and name order ÷ users"
    f" **{ratio(index_bytes + name_bytes, table_bytes)}**.",
    *[
        f"- The largest partition of `{table}` at 10^6 users: {largest(table)}"
        for table in ("ordered_terms", "ordered_names")
    ],
    f"- Loading the 10^6 users: {loaded}.",
    "",
    "## Bulk delete: 500 selected users in one request, against 500 single deletes one after the other",
    "",
    "| round | one `users/delete-many` | 500 `users/delete` | bulk ÷ single |",
    "|---|---|---|---|",
]
for n, run in enumerate(sorted(bulk, key=lambda r: r["bulk_seconds"]), 1):
    lines.append(
        f"| {n} | {run['bulk_seconds']:.2f} s ({run['bulk_deleted']} deleted) | {run['single_seconds']:.2f} s"
        f" | **{ratio(run['bulk_seconds'], run['single_seconds'])}** |"
    )
lines += [
    "",
    "## What the entries in name order and search cost a row write (raw driver, 32 at once)",
    "",
    "| round | with entries, rows/s | without, rows/s | with ÷ without |",
    "|---|---|---|---|",
]
for n, run in enumerate(writes, 1):
    lines.append(
        f"| {n} | {run['with_terms_rps']:,.0f} | {run['without_terms_rps']:,.0f}"
        f" | **{ratio(run['with_terms_rps'], run['without_terms_rps'])}** |"
    )
exports = sorted(
    (json.loads(l) for l in (results / "export.jsonl").read_text().splitlines() if l.strip()),
    key=lambda r: r["export_rps"] / r["raw_rps"],
)
imported = figures("import.json")
lines += [
    "",
    f"## Export of the 10^6 keyspace ({exports[0]['rows']:,} rows): `GET /api/users/export.csv` against the driver paging the table by 1,000",
    "",
    "| round | export rows/s | driver rows/s | export ÷ driver | file | server RSS at rest → peak |",
    "|---|---|---|---|---|---|",
]
for n, run in enumerate(exports, 1):
    growth = (int(run["rss_peak_kb"]) - int(run["rss_rest_kb"])) * 1024 / 1e6
    lines.append(
        f"| {n} | {run['export_rps']:,.0f} | {run['raw_rps']:,.0f} | **{ratio(run['export_rps'], run['raw_rps'])}**"
        f" | {run['bytes'] / 1e6:,.1f} MB | {mb(run['rss_rest_kb'])} → {mb(run['rss_peak_kb'])} (+{growth:.1f} MB) |"
    )
lines += [
    "",
    f"## Import of {imported['rows']:,} rows: the job against the same per-row calls from the driver",
    "",
    f"The job works {imported['concurrency']} rows at once (each a read by id, then the create with its",
    "claim and audit event); the driver side makes those calls for other new rows as many at once, with",
    "no job around them (no chunks, lease or progress).",
    "",
    "| job rows/s (Start → done) | driver rows/s | job ÷ driver | upload to preview |",
    "|---|---|---|---|",
    f"| {imported['job_rps']:,.0f} | {imported['raw_rps']:,.0f} | **{ratio(imported['job_rps'], imported['raw_rps'])}**"
    f" | {imported['preview_seconds']:.1f} s |",
]
lines += [
    "",
    "## Server memory",
    "",
    f"- RSS at rest, just started: {mb(facts['rss_start_kb'])}",
    f"- RSS at rest, after the page runs: {mb(facts['rss_rest_kb'])}",
    f"- RSS peak under the create load (sampled every 0.5 s while HTTP creates run): {mb(facts['rss_peak_kb'])}",
    "",
]
print("\n".join(lines))
