"""The benchmarks must keep running as the code changes; their figures are judged by `make bench`, not here.

A short run of the audit-recording benchmark in a subprocess (it migrates its own scratch database): every
variant records events from several connections and the chain the sealer built verifies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _benchmark_env(**settings: str) -> dict[str, str]:
    """The environment for a benchmark run by a test: its scratch database is named after the test run, not
    after the developer's database, so `make test` never drops what `make bench --keep` kept (the scratch is
    `<database>_bench_http`) and two xdist workers never share one."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    parts = urlsplit(env.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/isp_portal"))
    name = parts.path.lstrip("/") or "isp_portal"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/test_{name}_{worker}"))
    return {**env, **settings}


@pytest.mark.slow
@pytest.mark.serial  # its last seal must chain every event: no other worker's transaction may hold the watermark
def test_audit_recording_benchmark_runs_and_the_chain_verifies(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "audit_recording",
            "--workers",
            "3",
            "--duration",
            "1",
            "--results",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=_benchmark_env(DJANGO_SETTINGS_MODULE="isp_portal.settings.development"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Exit 1 means the ratio was missed, which a loaded test machine may do; anything else is a crash.
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    [result_file] = tmp_path.glob("audit_recording-*.json")
    figures = json.loads(result_file.read_text())
    assert figures["chain"]["ok"], figures["chain"]
    assert set(figures["variants"]) == {"plain", "audit_record", "global_lock"}
    for variant in figures["variants"].values():
        assert variant["events"] > 0, variant
    # Every event the real service recorded was chained by the sealer (plus the warm-up events).
    assert figures["chain"]["links"] == figures["variants"]["audit_record"]["events"] + 3
    assert ("PASS" in completed.stdout) == (figures["ratio_audit_to_plain"] >= figures["target_ratio"])


@pytest.mark.slow
def test_disclosure_path_benchmark_runs_both_variants_over_http_and_keeps_the_log_without_audit(
    tmp_path: Path,
) -> None:
    """A short run of the disclosure path over HTTP (submit, answer on significant harm, approve, through the API on
    gunicorn, each step as its signed-in person) by a few users thinking briefly: every step has its percentiles in
    both variants; without auditing no audit event is written and every disclosure still has its disclosure-log row
    (design12 F9); nothing failed. Only the shape is checked, never a figure (exit 1 is a missed target)."""
    completed = subprocess.run(
        [
            sys.executable, "-m", "benchmarks", "disclosure_path", "--workers", "2", "--duration", "2", "--warmup",
            "1", "--rounds", "1", "--think", "0.05", "--results", str(tmp_path),
        ],
        cwd=ROOT,
        env=_benchmark_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert completed.returncode in (0, 1), completed.stdout[-3000:] + completed.stderr[-3000:]
    [result_file] = tmp_path.glob("disclosure_path-*.json")
    figures = json.loads(result_file.read_text())
    assert figures["driven_through"] == "http"
    assert figures["settings"]["django_settings"] == "isp_portal.settings.production"
    assert set(figures["variants"]) == {"audit", "no_audit"}
    checks = figures["checks"]
    assert checks["no_failures"] and checks["no_audit_wrote_no_event"] and checks["every_disclosure_logged"], checks
    assert {"path_p95", "audit_cost"} <= set(checks), checks  # judged with think time
    for variant in figures["variants"].values():
        assert variant["paths"] > 0 and variant["failures"] == 0, variant
        for figure in (variant["path"], *variant["steps"].values()):
            assert figure["p50_ms"] > 0 and figure["p95_ms"] >= figure["p50_ms"], variant
        assert variant["cpu_ms_per_path"] > 0 and variant["requests_per_second"] > 0, variant
        assert all(step["statements"] > 0 for step in variant["steps"].values()), variant
        # Warm-up and unfinished paths are written too, so at least the paths measured.
        assert variant["written"]["log_rows"] == variant["written"]["disclosures"] >= variant["paths"], variant
    assert figures["variants"]["no_audit"]["written"]["audit_events"] == 0
    assert figures["variants"]["audit"]["written"]["audit_events"] > 0
    assert set(figures["audit_cost"]) == {"path_p95", "cpu_per_path"}
    assert "| no_audit |" in completed.stdout
    assert ("PASS" in completed.stdout.splitlines()[-1]) == figures["passed"]


def test_the_disclosure_path_is_judged_by_its_targets_only_with_think_time() -> None:
    """Issue 12: path p95 <= 60 ms with audit and audit's cost <= 10 % on p95 and CPU, judged when users think;
    at saturation only the checks that hold in every mode (no failure, no event without audit, every disclosure
    logged)."""
    from benchmarks.disclosure_path import cost, judge

    def variant(p95: float, events: int = 0) -> dict[str, Any]:
        return {
            "failures": 0, "paths": 10, "path": {"p95_ms": p95},
            "written": {"audit_events": events, "log_rows": 12, "disclosures": 12},
        }  # fmt: skip

    def figures(audit: float, no_audit: float, think: float | None, cpu: tuple[float, float] = (10, 10)) -> Any:
        return {
            "settings": {"think_seconds": think},
            "variants": {"audit": variant(audit, events=50), "no_audit": variant(no_audit)},
            "audit_cost": {"path_p95": cost(audit, no_audit), "cpu_per_path": cost(*cpu)},
        }

    assert cost(55.0, 50.0) == 0.1 and cost(None, 50.0) is None
    assert all(judge(figures(55, 50, 1.0)).values())
    assert not judge(figures(61, 60, 1.0))["path_p95"]
    assert not judge(figures(56, 50, 1.0))["audit_cost"]
    assert not judge(figures(50, 50, 1.0, cpu=(12, 10)))["audit_cost"]
    assert set(judge(figures(500, 100, None))) == {"no_failures", "no_audit_wrote_no_event", "every_disclosure_logged"}
    leaked = figures(50, 50, 1.0)
    leaked["variants"]["no_audit"]["written"]["audit_events"] = 1
    assert not judge(leaked)["no_audit_wrote_no_event"]


@pytest.mark.slow
def test_http_pages_benchmark_runs_and_reports_every_figure(tmp_path: Path) -> None:
    """The HTTP harness end to end with tiny numbers: production settings, real sign-in with two-factor, one
    interleaved round of the baseline and one page. Only the shape of the results is checked, never a figure."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "http_pages",
            "--workers",
            "2",
            "--duration",
            "1",
            "--warmup",
            "0.5",
            "--rounds",
            "1",
            "--only",
            "home",
            "--results",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=_benchmark_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode in (0, 1), completed.stdout[-3000:] + completed.stderr[-3000:]
    [result_file] = tmp_path.glob("http_pages-*.json")
    figures = json.loads(result_file.read_text())
    assert figures["settings"]["django_settings"] == "isp_portal.settings.production"
    assert figures["machine"]["cpus"] and figures["load_average"]["max_1m"] is not None
    [home] = figures["scenarios"].values()
    assert home["scenario"] == "home" and home["rounds"] == 1 and home["failures"] == 0
    for key in ("per_second", "p50_ms", "p95_ms", "p99_ms", "cpu_ms_per_request", "statements"):
        assert home[key] is not None and home[key] > 0, (key, home)
        assert home["baseline"][key] is not None and home["baseline"][key] > 0, (key, home["baseline"])
    assert home["baseline"]["statements"] == 2  # one read by primary key, one insert
    assert home["statements_before_view"] is not None
    for ratio in home["ratio"].values():
        assert ratio is not None and ratio > 0, home["ratio"]
    assert "| home |" in completed.stdout
    assert ("PASS" in completed.stdout.splitlines()[-1]) == figures["passed"]


@pytest.mark.django_db
def test_generated_children_are_found_by_the_search_like_service_created_ones(world: Any) -> None:
    """The bulk generator (benchmarks/children.py) writes the name keys the services compute: a child it wrote
    and a child made by child_create with the same name and date of birth are found by the same searches, with
    the same exact-match flag; its NHS numbers, postcodes and entry fields pass the rules; its rows satisfy every
    constraint and foreign key (checked here, as the test's COPY keeps the triggers)."""
    from django.db import connection
    from django.utils import timezone

    from benchmarks import children as generator
    from sharing import rules
    from sharing.models import Child, ChildName, ChildNameKey, EntryRevision
    from sharing.selectors import child_search
    from tests.sharing.fixtures import PURPOSE, fresh, make_child, sharing_world

    sw = sharing_world(world)
    with connection.cursor() as cursor:
        plan = generator.make_plan(cursor, 320, pool_size=300, log=lambda message: None)
        counts = generator.write_chunk(cursor, plan, 0, 300)
        # Twenty more bearing only the spelling cases of issue 10.
        plan.names = [generator.pool_name(given, family) for given, family in generator.SPELLING_CASES]
        generator.write_chunk(cursor, plan, 300, 320)
        generator.finish(cursor)
    assert counts["sharing_child"] == 300 and counts["sharing_childnamekey"] > 300 * 8
    generated = list(Child.objects.filter(created_by__isnull=True).order_by("pk"))
    assert len(generated) == 320
    # Every name's keys are exactly the services' keys.
    keys: dict[int, set[str]] = {}
    for name_id, key in ChildNameKey.objects.filter(child__in=generated).values_list("name_id", "key"):
        keys.setdefault(name_id, set()).add(key)
    legal_family = dict(ChildName.objects.filter(child__in=generated, kind="legal").values_list("child_id", "family"))
    for name in ChildName.objects.filter(child__in=generated):
        expected = (
            rules.name_index_keys(name.given, name.family)
            if name.kind == "legal"
            else rules.alias_index_keys(name.given, name.family, legal_family[name.child_id])
        )
        assert keys[name.pk] == set(expected), name
        assert name.exact_key == rules.name_exact_key(name.given, name.family)
    today = timezone.localdate()
    for child in generated:
        if child.nhs_number:
            assert child.nhs_number.startswith("999") and rules.nhs_number_normalised(child.nhs_number)
    for revision in EntryRevision.objects.filter(entry__child__in=generated).select_related("entry"):
        assert rules.entry_fields_cleaned(revision.entry.category, revision.fields, today) == revision.fields

    practitioner = fresh(sw.users["practitioner"])

    def found(**criteria: Any) -> dict[int, bool]:
        search = child_search(principal=practitioner, purpose=PURPOSE, **criteria)
        return {result.child_id: result.exact for result in search.results}

    # A generated child in the protocol's age scope, and its twin made through the services.
    target = next(c for c in generated if c.nhs_number and rules.age_on(c.born_on, today) < 18)
    legal = ChildName.objects.get(child=target, kind="legal")
    address = target.addresses.get(to_on__isnull=True)
    twin = make_child(sw, legal.given, legal.family, born_on=target.born_on, considered=[c.pk for c in generated])
    for criteria in (
        {"name": f"{legal.given} {legal.family}"},
        {"name": f"{legal.family} {legal.given}".upper()},
        {"name": f"{legal.given} {legal.family}", "born_on": target.born_on},
        {"name": legal.family.replace("-", " "), "born_on": target.born_on},
    ):
        results = found(**criteria)
        assert target.pk in results and twin.pk in results, criteria
        assert results[target.pk] == results[twin.pk], criteria
    assert found(nhs_number=target.nhs_number) == {target.pk: False}
    assert target.pk in found(postcode=address.postcode.lower().replace(" ", ""), born_on=target.born_on)
    # The spelling cases: the generated children bearing them are found as the services' would be.
    spelled = {
        name.child_id: (name.given, name.family)
        for name in ChildName.objects.filter(child__in=generated[300:], kind="legal")
    }
    for query, family in (("O Brien", "O\u2019Brien"), ("Strauss", "Strauß"), ("Smith Jones", "Smith-Jones")):
        expected = {child_id for child_id, (_, name) in spelled.items() if name == family}
        if family == "O\u2019Brien":
            expected |= {child_id for child_id, (_, name) in spelled.items() if name == "O'Brien"}
        assert expected and expected <= set(found(name=query)), query
    lukasz = {child_id for child_id, (given, _) in spelled.items() if given == "Łukasz"}
    assert lukasz <= set(found(name="Lukasz Quillfeather")) and lukasz


def test_the_child_search_form_uses_the_configured_field_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import http_pages

    form = http_pages.search_form({"name": "Sam Smith", "born_on": "2015-04-02", "postcode": "nb11aa"})
    assert form == {
        "purpose": http_pages.BENCH_PURPOSE,
        "name": "Sam Smith",
        "born_on_day": "2",
        "born_on_month": "4",
        "born_on_year": "2015",
        "postcode": "nb11aa",
    }
    # The names are the search form's own: it reads the date of birth from them (a field it does not have would
    # be ignored, and the search measured without its date of birth).
    from sharing.forms import SearchForm

    bound = SearchForm(form)
    assert bound.is_valid(), bound.errors
    assert str(bound.cleaned_data["born_on"]) == "2015-04-02" and bound.cleaned_data["name"] == "Sam Smith"
    monkeypatch.setattr(http_pages, "BORN_ON_FIELDS", ("born_on",))
    assert http_pages.search_form({"born_on": "2015-04-02"})["born_on"] == "2015-04-02"
    children = {s.name: s for s in http_pages.SCENARIOS if s.children}
    assert set(children) == {"child_search", "child_search_saturation", "child_record", "child_record_rate"}
    search = children["child_search"]
    assert search.forms is not None and search.users == 20 and search.p95_target_ms == 60
    assert search.forms({"searches": [{"nhs_number": "999 000 0018"}]})[0]["nhs_number"] == "999 000 0018"
    for record in (children["child_record"], children["child_record_rate"]):
        assert record.setup is not None
        [(_page, path, body)] = record.setup({"child": 7})
        assert path == "/children/7/purpose/" and body == {"purpose": http_pages.BENCH_PURPOSE}
        assert record.path({"child": 7}) == "/children/7/"
    assert children["child_record"].target_ratio == 1.0


def test_each_scenario_states_its_pacing_as_design_5_states_its_target() -> None:
    """DESIGN 5: the search with 20 users (people thinking between searches), beside it the same searches at
    saturation for its capacity; the record at >= 1.0 x the bare view (saturation) and at a steady 300 req/s."""
    from benchmarks.http_pages import SCENARIOS, Scenario

    scenarios = {s.name: s for s in SCENARIOS}
    search, flat_out = scenarios["child_search"], scenarios["child_search_saturation"]
    assert search.think_seconds is not None and 0.5 <= search.think_seconds <= 2 and search.rate is None
    assert search.connections(50) == 20 and search.pacing == "think 0.5-1.5 s"
    assert flat_out.think_seconds is None and flat_out.rate is None and flat_out.connections(50) == 20
    assert flat_out.forms is not None and flat_out.p95_target_ms is None and flat_out.target_ratio is None
    record, steady = scenarios["child_record"], scenarios["child_record_rate"]
    assert record.rate is None and record.think_seconds is None and record.pacing == "saturation (no think time)"
    assert steady.rate == 300 and steady.p95_target_ms == 25 and steady.target_ratio is None
    # Enough users that each sends at most 3 a second (an interval well above the answers' times).
    assert steady.connections(50) == 100 and steady.pacing == "steady 300 req/s"
    # The pages of issue 9 keep the saturation mode their ratio targets use.
    assert all(scenarios[name].rate is None and scenarios[name].think_seconds is None for name in ("home", "agency"))
    with pytest.raises(ValueError, match="not both"):
        Scenario("x", None, lambda ids: "/", think_seconds=1.0, rate=10.0)


def test_each_scenario_is_judged_by_its_own_targets() -> None:
    from benchmarks.http_pages import passed

    def result(throughput: float, p95: float, targets: dict[str, Any]) -> dict[str, Any]:
        return {
            "ratio": {"throughput": throughput, "cpu_per_request": throughput},
            "p95_ms": p95,
            "failures": 0,
            "statements_before_view": 0,
            "targets": targets,
        }

    search = {"ratio": None, "p95_ms": 60.0}
    record = {"ratio": 1.0, "p95_ms": None}
    assert passed({"scenarios": {"s": result(0.2, 55, search), "r": result(1.1, 900, record)}})
    assert not passed({"scenarios": {"s": result(0.2, 61, search)}})
    assert not passed({"scenarios": {"r": result(0.9, 10, record)}})
    # A steady rate: the p95 bound, and the rate achieved (a server that falls behind misses, however fast the
    # answers it gave).
    steady = {"ratio": None, "p95_ms": 25.0, "rate": 300.0}
    assert passed({"scenarios": {"r": {**result(0.3, 20, steady), "per_second": 296.0}}})
    assert not passed({"scenarios": {"r": {**result(0.3, 20, steady), "per_second": 250.0}}})
    assert not passed({"scenarios": {"r": {**result(0.3, 26, steady), "per_second": 300.0}}})


def test_the_table_shows_each_page_under_its_load_after_the_bare_view_under_the_same() -> None:
    from benchmarks.http_pages import table

    def figures(per_second: float, mode: str | None, users: int | None) -> dict[str, Any]:
        base = dict.fromkeys(("per_second", "p50_ms", "p95_ms", "p99_ms", "cpu_ms_per_request"), 1.0)
        return {
            "per_second": per_second,
            "p50_ms": 5.0,
            "p95_ms": 9.0,
            "p99_ms": 12.0,
            "cpu_ms_per_request": 4.0,
            "statements": 4,
            "statements_before_view": 0,
            "ratio": dict.fromkeys(("throughput", "cpu_per_request"), 0.5),
            "baseline": {**base, "per_second": 2 * per_second, "statements": 2},
            "pacing": {"mode": mode, "users": users},
        }

    lines = table(
        {
            "settings": {"users": 50},
            "scenarios": {
                "home": figures(100, None, None),
                "agency": figures(90, None, None),
                "child_search": figures(19, "think 0.5-1.5 s", 20),
                "child_record_rate": figures(299, "steady 300 req/s", 100),
            },
        }
    ).splitlines()
    assert [line.split(" | ")[0:2] for line in lines[2:]] == [
        ["| bare read+insert view", "50 users, saturation"],
        ["| home", "50 users, saturation"],
        ["| agency", "50 users, saturation"],
        ["| bare read+insert view", "20 users, think 0.5-1.5 s"],
        ["| child_search", "20 users, think 0.5-1.5 s"],
        ["| bare read+insert view", "100 users, steady 300 req/s"],
        ["| child_record_rate", "100 users, steady 300 req/s"],
    ]
    assert lines[-2].startswith("| bare read+insert view | 100 users, steady 300 req/s | 598 |")


def test_the_load_driver_posts_forms_with_the_csrf_token(tmp_path: Path) -> None:
    """benchmarks/load.py POSTs one of the forms per request, with the session's CSRF token and a same-origin
    Referer (Django's CSRF check on HTTPS), against a stand-in server that records what it receives."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    received: list[tuple[dict[str, list[str]], str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append((parse_qs(self.rfile.read(length).decode()), self.headers.get("Referer", "")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            """Quiet: the test reads what was received, not the server's log lines."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    forms = tmp_path / "forms.json"
    forms.write_text(json.dumps([{"purpose": "p", "name": "Sam Smith"}, {"purpose": "p", "postcode": "nb11aa"}]))
    host = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        completed = subprocess.run(
            [
                *(sys.executable, "-m", "benchmarks.load", "--host", host, "--path", "/children/", "--users", "2"),
                *("--duration", "0.5", "--warmup", "0.2", "--forms", str(forms), "--csrf", "token123"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
    assert completed.returncode == 0, completed.stderr[-2000:]
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    assert figures["requests"] > 0 and figures["failures"] == 0
    assert received and all(body["csrfmiddlewaretoken"] == ["token123"] for body, _ in received)
    assert all(body["purpose"] == ["p"] for body, _ in received)
    assert any("name" in body for body, _ in received) and any("postcode" in body for body, _ in received)
    assert all(referer == f"https://127.0.0.1:{server.server_address[1]}/children/" for _, referer in received)


@pytest.mark.django_db
def test_the_world_names_searches_that_find_children_and_a_record_with_content(world: Any) -> None:
    from django.db import connection

    from benchmarks import children as generator
    from benchmarks.world import child_ids, child_searches
    from sharing.selectors import child_search
    from tests.sharing.fixtures import PURPOSE, fresh, sharing_world

    sw = sharing_world(world)
    with connection.cursor() as cursor:
        plan = generator.make_plan(cursor, 200, pool_size=300, log=lambda message: None)
        generator.write_chunk(cursor, plan, 0, 200)
        generator.finish(cursor)
    searches = child_searches(count=5)
    assert {tuple(sorted(criteria)) for criteria in searches} >= {("name",), ("born_on", "name"), ("postcode",)}
    practitioner = fresh(sw.users["practitioner"])
    for criteria in searches:
        assert child_search(principal=practitioner, purpose=PURPOSE, **criteria).results, criteria  # type: ignore[arg-type]
    ids = child_ids(sw.home.pk)
    assert ids and sw.home.record_entries.filter(child_id=ids["child"]).exists()


def test_the_load_driver_paces_by_think_time_and_by_rate(tmp_path: Path) -> None:
    """benchmarks/load.py against a stand-in server answering at once: saturation sends as fast as the server
    answers; with a think time each user waits about that long between requests; with a rate the requests
    arrive at that rate in all, whatever the number of users."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            """Quiet: the test reads the driver's figures."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"http://127.0.0.1:{server.server_address[1]}"

    def drive(*pacing: str, users: int) -> dict[str, Any]:
        completed = subprocess.run(
            [
                *(sys.executable, "-m", "benchmarks.load", "--host", host, "--path", "/", "--users", str(users)),
                *("--duration", "2", "--warmup", "1", *pacing),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stderr[-2000:]
        figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
        assert figures["failures"] == 0 and figures["requests"] > 0, figures
        return figures

    try:
        flat_out = drive(users=2)
        thinking = drive("--think", "0.4", users=2)
        steady = drive("--rate", "30", users=10)
    finally:
        server.shutdown()
    assert flat_out["pacing"] == "saturation" and flat_out["per_second"] > 50, flat_out
    # Two users each waiting 0.2 to 0.6 s (0.4 on average): about 5 requests a second in all.
    assert thinking["pacing"] == "think" and thinking["think_seconds"] == 0.4
    assert 2 <= thinking["per_second"] <= 9, thinking
    # Ten users sending every third of a second: 30 a second in all, as offered.
    assert steady["pacing"] == "rate" and steady["offered_per_second"] == 30 and steady["users"] == 10
    assert 24 <= steady["per_second"] <= 36, steady


@pytest.mark.django_db
def test_the_aggregate_benchmark_times_each_table_over_generated_children(world: Any) -> None:
    """`python -m benchmarks.child_selectors --aggregate` (issue 11) over children the generator wrote: each table
    is one grouped statement and its audit event, whatever the index's size, and every count adds up."""
    from django.db import connection

    from benchmarks import child_selectors
    from benchmarks import children as generator
    from sharing.models import Child
    from tests.sharing.fixtures import sharing_world

    sharing_world(world)
    with connection.cursor() as cursor:
        plan = generator.make_plan(cursor, 400, pool_size=300, log=lambda message: None)
        generator.write_chunk(cursor, plan, 0, 400)
        generator.finish(cursor)
    figures = child_selectors.measure_aggregate(3, world.users["practitioner"].email)
    assert figures["sizes"]["children"] == Child.objects.count() >= 400
    assert figures["snapshot_ms"] > 0
    assert set(figures["results"]) == {
        f"children_aggregate: {rows} x {columns}" for rows, columns in child_selectors.AGGREGATE_PAIRS
    }
    for result in figures["results"].values():
        # The day's snapshot looked up, the grouped statement over it and the audit event (here inside the test's
        # transaction, so each call's own transaction is a savepoint and its release, counted too).
        assert result["statements"] == [5], result
        assert result["cells"] > 0 and "within_target" in result


@pytest.mark.django_db
def test_the_generator_drops_and_rebuilds_every_secondary_index_it_can() -> None:
    """The generator drops the big tables' secondary indexes before its COPY and rebuilds them after. A unique
    constraint a foreign key refers to (sharing/0011's entry_revision_id_entry_unique, for the grant's composite
    key) cannot be dropped without the key: it stays. Every other one comes back exactly as it was."""
    from django.db import connection

    from benchmarks import children as generator

    def secondary() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary",
                [list(generator.TABLES)],
            )
            return set(cursor.fetchall())

    before = secondary()
    with connection.cursor() as cursor:
        rebuild = generator._drop_secondary_indexes(cursor)
        kept = secondary()
        for statement in rebuild:
            cursor.execute(statement)
    assert rebuild and len(kept) < len(before)
    assert any("entry_revision_id_entry_unique" in definition for _table, definition in kept)
    assert secondary() == before


@pytest.mark.django_db
def test_the_after_disclosure_benchmark_measures_lineage_the_register_and_a_correction_fan_out(world: Any) -> None:
    """`python -m benchmarks after_disclosure` (issue 13) at tiny sizes: each measure beside its baseline from the
    same run, the lineage reads' statements the same for 4 hops as for the fan-out, the fan-out's notices written in
    one statement, the CSV as many rows as the COPY."""
    from benchmarks import after_disclosure
    from disclosures.models import CorrectionNotice, Dispute

    figures = after_disclosure.measure_in(world, hops=4, fanout=3, disputes=6, calls=2, log=lambda line: None)
    assert [row["name"] for row in figures["results"]] == [
        "entry_lineage, 4 hops", "disclosure_lineage, 4 hops", "entry_lineage, fan-out 3",
        "disclosure_lineage, fan-out 3", "register CSV, 6 disputes", "entry_revise, notices to 4 agencies",
    ]  # fmt: skip
    for row in figures["results"]:
        assert row["ratio"] is not None and row["ratio"] > 0, row
        assert row["measured"]["calls"] >= 2 and row["measured"]["statements"], row
    nodes = {row["name"]: row.get("nodes") for row in figures["results"]}
    assert nodes["entry_lineage, 4 hops"] == 5 and nodes["entry_lineage, fan-out 3"] == 4
    # The baseline is one statement; the COPY too.
    assert {tuple(row["baseline"]["statements"]) for row in figures["results"][:5]} == {(1,)}
    assert Dispute.objects.count() == 6
    # Every revise was rolled back: the world each call met is the one built.
    assert not CorrectionNotice.objects.exists()
    figures["checks"] = after_disclosure.judge(figures)
    assert all(figures["checks"].values()), figures["checks"]
    assert "| entry_lineage, 4 hops |" in after_disclosure.table(figures)


@pytest.mark.django_db
def test_the_breach_sweep_benchmark_times_both_sweeps_against_the_bare_update(world: Any) -> None:
    """`python -m benchmarks breach_sweep` (issue 14) at a tiny size: every obligation reminded, then every one
    escalated, by a sweep of four statements (its three phases and the record of the run) as at 100,000 rows,
    beside the bare UPDATE of the same rows."""
    from benchmarks import breach_sweep
    from breaches.models import Obligation

    figures = breach_sweep.measure_in(world, obligations=300, agencies=5, rounds=1, log=lambda line: None)
    assert figures["sizes"]["obligations"] == 300 and figures["sizes"]["speakers"] == 15
    assert [row["name"] for row in figures["results"]] == ["first reminders", "escalations"]
    # One digest per person told (breaches.services.sweeps): the 15 speakers of the five agencies and the partnership
    # admin reminded; the admin and the five agencies' guardians and DPOs told of the escalation.
    told = {"first reminders": 15 + 1, "escalations": 1 + 5 * 2}
    for row in figures["results"]:
        assert row["rows"] == 300 and row["notifications"] == told[row["name"]], row
        assert row["statements"] == [4] and row["baseline_statements"] == [1], row
        assert row["ratio"] > 0, row
    # Every call was rolled back: the rows are as built.
    assert Obligation.objects.filter(state="open", reminded_at__isnull=True).count() == 300
    checks = breach_sweep.judge(figures)
    assert all(ok for name, ok in checks.items() if "statements" in name), checks
    assert "| escalations | 300 |" in breach_sweep.table(figures)


@pytest.mark.slow
@pytest.mark.serial  # it seals: no other worker's transaction may hold the watermark
def test_audit_verify_benchmark_runs_and_the_chain_verifies(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "audit_verify", "--events", "2000", "--results", str(tmp_path)],
        cwd=ROOT,
        env=_benchmark_env(DJANGO_SETTINGS_MODULE="isp_portal.settings.development"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    # Exit 1 would mean the extrapolated time was missed, which a loaded test machine may do; anything else is a crash.
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    [result_file] = tmp_path.glob("audit_verify-*.json")
    figures = json.loads(result_file.read_text())
    assert figures["chain"] == {"ok": True, "links": 2000, "problem": ""}
