"""Route planning without a database: the kit solver, the feasibility checker, re-planning,
map coordinates and the OSRM adapter."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import msgspec
import numpy as np
import pytest

from core.dispatch.feasibility import violations
from core.dispatch.geo import MapRoute, navigate_links, route_svg, wgs84_to_gcj02
from core.dispatch.osrm import OsrmError, OsrmTravelTime
from core.dispatch.replan import insert_urgent
from core.dispatch.schemas import (
    DayProblem,
    DaySolution,
    PlanBreak,
    PlanJob,
    PlanProvider,
    TravelMatrix,
)
from core.dispatch.service import promised_window
from core.dispatch.solvers import KitSolver

H = 3600


def line_problem(jobs: list[PlanJob], providers: list[PlanProvider], size: int = 8) -> DayProblem:
    """Points on a line, 10 minutes (and 5 km) apart per step."""
    steps = np.abs(np.subtract.outer(np.arange(size), np.arange(size)))
    matrix = TravelMatrix(seconds=steps * 600, metres=steps * 5000)
    return DayProblem(jobs=tuple(jobs), providers=tuple(providers), matrix=matrix)


def job(name: str, at: int, start: float = 8, end: float = 18, **kw: object) -> PlanJob:
    return PlanJob(id=name, location=at, service_s=H, window=(int(start * H), int(end * H)), **kw)  # type: ignore[arg-type]


def worker(name: str, home: int = 0, **kw: object) -> PlanProvider:
    kw.setdefault("shift", (8 * H, 18 * H))
    return PlanProvider(id=name, start=home, end=home, **kw)  # type: ignore[arg-type]


def test_a_plain_day_routes_every_job_inside_its_window() -> None:
    problem = line_problem(
        [job("a", 1), job("b", 2), job("c", 3, 9, 9.5), job("d", 4, 13, 14)],
        [worker("wang"), worker("li", home=5)],
    )
    plan = KitSolver().solve(problem, 0.5)
    assert violations(problem, plan) == []
    assert sorted(j for r in plan.routes for j in r.jobs) == ["a", "b", "c", "d"]
    assert plan.solver == "kit/pyvrp"


def test_jobs_nobody_can_do_come_back_with_their_reason_and_the_rest_is_planned() -> None:
    problem = line_problem(
        [
            job("clean", 1, skills=frozenset({"clean"})),
            job("piano", 2, skills=frozenset({"piano"})),
            job("backwards", 3, 14, 12),
            job("pinned_to_absent", 4, provider="zhao"),
            job("too_early", 7, 8, 8.1),
        ],
        [worker("wang", skills=frozenset({"clean"}))],
    )
    plan = KitSolver().solve(problem, 0.5)
    reasons = {u.job: u.reason for u in plan.unassigned}
    assert reasons == {
        "piano": "no_skill",
        "backwards": "bad_window",
        "pinned_to_absent": "no_shift",
        "too_early": "unreachable",
    }
    assert [r.jobs for r in plan.routes] == [["clean"]]
    assert violations(problem, plan) == []


def test_skills_pins_and_breaks_are_kept() -> None:
    problem = line_problem(
        [
            job("lock1", 1, skills=frozenset({"lock"})),
            job("lock2", 6, skills=frozenset({"lock"})),
            job("clean1", 2, skills=frozenset({"clean"})),
            job("chosen", 3, provider="li"),
            job("noon", 4, 11.5, 12),
        ],
        [
            worker(
                "wang",
                skills=frozenset({"lock"}),
                breaks=(PlanBreak(window=(12 * H, 13 * H), duration_s=1800),),
            ),
            worker("li", home=7, skills=frozenset({"clean"})),
        ],
    )
    plan = KitSolver().solve(problem, 1.0)
    assert plan.solver == "kit/vroom"
    assert violations(problem, plan) == []
    by = {j: r.provider for r in plan.routes for j in r.jobs}
    assert by["lock1"] == by["lock2"] == "wang"
    assert by["clean1"] == by["chosen"] == "li"
    wang = next(r for r in plan.routes if r.provider == "wang")
    pause = next(s for s in wang.stops if not s.job)
    assert 12 * H <= pause.start <= 13 * H


def test_the_checker_catches_what_a_broken_solver_would_do() -> None:
    problem = line_problem(
        [job("a", 1, 8, 8.5), job("b", 7, 8, 9, skills=frozenset({"lock"}))], [worker("wang")]
    )
    good = KitSolver().solve(problem, 0.5)
    route = next(r for r in good.routes)
    late = msgspec.structs.replace(route, stops=(*route.stops, *route.stops))
    broken = violations(problem, DaySolution(routes=(late,)))
    assert any("planned 2 times" in v for v in broken)
    assert any("neither routed" in v for v in violations(problem, DaySolution(routes=())))
    from core.dispatch.schedule import timed_route

    wrong = timed_route(problem, problem.providers[0], [1, 0])
    found = violations(problem, DaySolution(routes=(wrong,)))
    assert any("lacks ['lock']" in v for v in found)
    assert any("a: starts" in v for v in found)


def test_an_urgent_job_slots_in_without_moving_anyone_else() -> None:
    problem = line_problem(
        [job("a", 1, 8, 9), job("b", 2, 10, 11), job("c", 3, 13, 14), job("far", 6, 9, 10)],
        [worker("wang"), worker("li", home=7)],
    )
    plan = KitSolver().solve(problem, 0.5)
    urgent = job("urgent", 2, 0, 16, urgent=True)
    result = insert_urgent(problem, plan, urgent, now=int(10.5 * H), started={"a", "b"})
    assert result.provider is not None
    assert violations(result.problem, result.solution) == []
    before = {r.provider: r.jobs for r in plan.routes}
    after = {r.provider: [j for j in r.jobs if j != "urgent"] for r in result.solution.routes}
    assert after == before
    route = next(r for r in result.solution.routes if "urgent" in r.jobs)
    stop = next(s for s in route.stops if s.job == "urgent")
    assert stop.start >= int(10.5 * H)
    if route.jobs[:1] in (["a"], ["b"]):
        assert route.jobs.index("urgent") > max(
            route.jobs.index(j) for j in ("a", "b") if j in route.jobs
        )


def test_an_urgent_job_that_fits_nowhere_is_listed_and_the_plan_kept() -> None:
    problem = line_problem([job("a", 1, 8, 18)], [worker("wang", skills=frozenset())])
    plan = KitSolver().solve(problem, 0.5)
    urgent = job("urgent", 2, 0, 9, skills=frozenset({"lock"}))
    result = insert_urgent(problem, plan, urgent, now=10 * H)
    assert result.provider is None
    assert [(u.job, u.reason) for u in result.solution.unassigned] == [("urgent", "no_room")]
    assert result.solution.routes == plan.routes


# --- map helpers --------------------------------------------------------------------------

# Published eviltransform test vectors (WGS-84 -> GCJ-02).
REFERENCE = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_gcj02_matches_the_published_reference_points(wgs: tuple, gcj: tuple) -> None:
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)


def test_gcj02_leaves_points_outside_china_alone_and_links_use_it() -> None:
    assert wgs84_to_gcj02(48.8584, 2.2945) == (48.8584, 2.2945)
    links = navigate_links(31.1774276, 121.5272106, "王师傅")
    assert "121.531542%2C31.175304" in links.amap
    assert "coord_type=gcj02" in links.baidu and "31.175304%2C121.531542" in links.baidu
    assert "daddr=31.175304,121.531542" in links.apple
    assert links.geo.startswith("geo:31.177428,121.527211")


def test_the_route_map_draws_each_route_with_numbered_stops() -> None:
    svg = route_svg(
        [
            MapRoute(points=[(31.23, 121.47), (31.24, 121.48), (31.25, 121.46), (31.23, 121.47)]),
            MapRoute(points=[(31.20, 121.40), (31.21, 121.41), (31.20, 121.40)], colour="#d62728"),
        ],
        loose=[(31.3, 121.5)],
        title="<day>",
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}polyline")) == 2
    assert [t.text for t in root.findall(f"{ns}text")] == ["1", "2", "1"]
    assert root.find(f"{ns}title").text == "<day>"
    assert all(
        0 <= float(c.get("cx")) <= 360 and 0 <= float(c.get("cy")) <= 300
        for c in root.findall(f"{ns}circle")
    )


def test_the_arrival_window_narrows_as_the_time_comes() -> None:
    arrival = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
    widths = [promised_window(arrival, arrival - timedelta(hours=h)) for h in (12, 3, 1, 0)]
    spans = [end - start for start, end in widths]
    assert spans == sorted(spans, reverse=True)
    assert spans[0] == timedelta(hours=2) and spans[-1] <= timedelta(minutes=20)
    assert all(start <= arrival <= end for start, end in widths)


# --- OSRM adapter against a stand-in server ---------------------------------------------


class _Table(BaseHTTPRequestHandler):
    asked: list[str] = []

    def do_GET(self) -> None:
        _Table.asked.append(self.path)
        coords = self.path.split("/table/v1/driving/")[1].split("?")[0].split(";")
        n = len(coords)
        if coords[0].startswith("0.000000"):
            body = {"code": "InvalidQuery", "message": "bad"}
        else:
            body = {
                "code": "Ok",
                "durations": [[abs(i - j) * 61.4 for j in range(n)] for i in range(n)],
                "distances": [
                    [None if {i, j} == {0, 2} else abs(i - j) * 500.6 for j in range(n)]
                    for i in range(n)
                ],
            }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def osrm() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Table)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_osrm_adapter_reads_the_table_service(osrm: str) -> None:
    adapter = OsrmTravelTime(osrm)
    found = await adapter.matrix([(31.23, 121.47), (31.24, 121.48), (31.25, 121.49)])
    assert found.seconds.tolist() == [[0, 61, 123], [61, 0, 61], [123, 61, 0]]
    assert found.metres[0, 1] == 501 and found.metres[0, 2] >= 24 * 3600
    assert "/table/v1/driving/121.470000,31.230000;121.480000,31.240000;" in _Table.asked[-1]
    assert await adapter.seconds((31.23, 121.47), (31.24, 121.48)) == 61


async def test_osrm_adapter_says_when_the_server_refuses_or_is_down(osrm: str) -> None:
    with pytest.raises(OsrmError, match="InvalidQuery"):
        await OsrmTravelTime(osrm).matrix([(0.0, 0.0), (1.0, 1.0)])
    with pytest.raises(OsrmError, match="unreachable"):
        await OsrmTravelTime("http://127.0.0.1:9", timeout_s=2).matrix([(1, 1), (2, 2)])
