"""`planner observe --source prometheus` against a real Prometheus (Debian's package, unpacked
into .prometheus/ by `make prometheus`, nothing installed system-wide) started on 127.0.0.1,
scraping a small exporter served by the test with vLLM and DCGM series whose counters grow at
known rates (one replica restarts, so its counters reset mid-window)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from planner.observe.prom_http import PrometheusClient
from planner.observe.prometheus import observe_prometheus
from planner.plans.model import Plan

ROOT = Path(__file__).resolve().parent.parent
UNPACKED = ROOT / ".prometheus" / "usr" / "bin" / "prometheus"


def _find_prometheus() -> str | None:
    """PLANNER_PROMETHEUS, else the binary `make prometheus` unpacked, else one on PATH."""
    given = os.environ.get("PLANNER_PROMETHEUS")
    if given:
        return given
    if UNPACKED.is_file() and os.access(UNPACKED, os.X_OK):
        return str(UNPACKED)
    return shutil.which("prometheus")


PROMETHEUS = _find_prometheus()
WINDOW_S, STEP_S = 6.0, 2.0
START_TIMEOUT_S = 20.0
PROMPT, GENERATED = 300.0, 120.0
RATES = {"r0": 3.0, "r1": 2.0}  # requests/s per replica of `chat`: 5 in all
RESTART_AT_SCRAPE = 6  # r1 restarts just after its 5th scrape: its counters start again at 0
TTFT_BUCKETS = (0.1, 0.25, 0.5)  # every request lands in (0.1, 0.25]: p95 242.5 ms, mean 200
TPOT_BUCKETS = (0.02, 0.04, 0.08)  # every token interval in (0.02, 0.04]: p95 39 ms, mean 30

pytestmark = pytest.mark.skipif(
    PROMETHEUS is None,
    reason="no Prometheus binary: `make prometheus` unpacks Debian's package into .prometheus/ "
    "(or set PLANNER_PROMETHEUS); these tests run it",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    """One vLLM server's counters: requests grow at `rate`/s from `base`, plus `offset`."""

    def __init__(self, rate: float, started: float, offset: float) -> None:
        self.rate, self.base, self.offset = rate, started, offset
        self.scrapes, self.last_scrape = 0, started

    def requests(self, now: float) -> float:
        return self.offset + self.rate * (now - self.base)

    def scraped(self, now: float, restart_at: int | None) -> None:
        self.scrapes += 1
        if restart_at is not None and self.scrapes == restart_at:
            self.base, self.offset = self.last_scrape, 0.0  # restarted right after last scrape
        self.last_scrape = now


def _histogram(name: str, labels: str, count: float, buckets: tuple[float, ...], mean: float):
    lines = [f"# TYPE {name} histogram"]
    for i, le in enumerate(buckets):
        lines.append(f'{name}_bucket{{{labels},le="{le}"}} {0.0 if i == 0 else count}')
    lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {count}')
    lines.append(f"{name}_sum{{{labels}}} {count * mean}")
    lines.append(f"{name}_count{{{labels}}} {count}")
    return lines


class Exporter:
    """The metrics text of workload `chat` (two replicas) and of an unplanned workload."""

    def __init__(self) -> None:
        now = time.time()
        self.replicas = {name: Replica(rate, now, 1000.0) for name, rate in RATES.items()}
        self.lock = threading.Lock()

    def render(self) -> str:
        with self.lock:
            # Each sample carries the time its value was computed (the exposition format's
            # optional timestamp, which Prometheus honours by default), so a scrape delayed by
            # a busy machine does not skew the observed rates.
            stamp = round(time.time() * 1000)
            now = stamp / 1000
            for name, replica in self.replicas.items():
                replica.scraped(now, RESTART_AT_SCRAPE if name == "r1" else None)
            lines = []
            for i, (name, replica) in enumerate(sorted(self.replicas.items())):
                n = replica.requests(now)
                labels = f'planner_workload="chat",model_name="chat",pod="chat-0-{name}"'
                lines += [
                    f'vllm:request_success_total{{{labels},finished_reason="stop"}} {n}',
                    f"vllm:prompt_tokens_total{{{labels}}} {n * PROMPT}",
                    f"vllm:generation_tokens_total{{{labels}}} {n * GENERATED}",
                    f"vllm:num_requests_running{{{labels}}} {6 - 2 * i}",
                    f"vllm:num_requests_waiting{{{labels}}} 1",
                    f"vllm:gpu_cache_usage_perc{{{labels}}} 0.4",
                    f'DCGM_FI_DEV_GPU_UTIL{{{labels},gpu="0",modelName="NVIDIA L4"}} {55 - 10 * i}',
                    f'DCGM_FI_DEV_FB_USED{{{labels},gpu="0",modelName="NVIDIA L4"}} 18432',
                ]
                lines += _histogram(
                    "vllm:time_to_first_token_seconds", labels, n, TTFT_BUCKETS, 0.2
                )
                lines += _histogram(
                    "vllm:time_per_output_token_seconds", labels, n, TPOT_BUCKETS, 0.03
                )
            other = 'planner_workload="someone-else",pod="x"'
            lines.append(f"vllm:request_success_total{{{other}}} {now - 1.7e9}")
            return "".join(
                f"{line}\n" if line.startswith("#") else f"{line} {stamp}\n" for line in lines
            )


@pytest.fixture(scope="module")
def exporter() -> Iterator[str]:
    """The exporter on 127.0.0.1 (http.server in a thread); yields its host:port."""
    metrics = Exporter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = metrics.render().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def prometheus(exporter, tmp_path_factory) -> Iterator[str]:
    """A Prometheus of our own on a free 127.0.0.1 port, scraping the exporter every second;
    yields its URL once it has scraped; ended by its PID."""
    folder = tmp_path_factory.mktemp("prometheus")
    config = folder / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: vllm\n"
        "    honor_labels: true\n"
        f"    static_configs: [{{targets: ['{exporter}']}}]\n"
    )
    port = _free_port()
    log = (folder / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.tsdb.path={folder / 'data'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                query = urllib.parse.urlencode({"query": "up"})
                result = _get_json(f"{url}/api/v1/query?{query}")["data"]["result"]
                if result and result[0]["value"][1] == "1":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"Prometheus did not scrape within {START_TIMEOUT_S:g} s; see {log.name}"
                )
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def filled(prometheus) -> str:
    """Prometheus once it holds a whole window plus two steps of 1 s samples (polled)."""
    needed = WINDOW_S + 2 * STEP_S + 2
    query = urllib.parse.urlencode({"query": "count_over_time(up[1m])"})
    deadline = time.monotonic() + needed + START_TIMEOUT_S
    while time.monotonic() < deadline:
        result = _get_json(f"{prometheus}/api/v1/query?{query}")["data"]["result"]
        if result and float(result[0]["value"][1]) >= needed:
            return prometheus
        time.sleep(0.5)
    pytest.fail(
        f"Prometheus held fewer than {needed:g} samples after {needed + START_TIMEOUT_S:g} s"
    )


SPEC = """\
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 12, input_tokens: 300, output_tokens: 120}
    slo: {ttft_p95_ms: 1500, tpot_ms: 60}
    placement: {providers: [aws], regions: [us-east-1], services: [vm], accelerators: [A10G]}
  - name: quiet
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 2, input_tokens: 300, output_tokens: 120}
    slo: {ttft_p95_ms: 1500, tpot_ms: 60}
    placement: {providers: [aws], regions: [us-east-1], services: [vm], accelerators: [A10G]}
"""


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> tuple[Path, Path, Plan]:
    """The spec (chat planned at 12 req/s, quiet at 2), its plan, and both files."""
    from planner.solve import solve
    from planner.spec import parse_spec

    folder = tmp_path_factory.mktemp("planned")
    spec_file, plan_file = folder / "spec.yaml", folder / "plan.json"
    spec_file.write_text(SPEC)
    plan = solve(parse_spec(SPEC), baselines=False)
    plan_file.write_text(plan.model_dump_json(indent=2))
    return spec_file, plan_file, plan


def _observe(url: str, plan: Plan, label: str = "planner_workload"):
    return observe_prometheus(plan, PrometheusClient(url), WINDOW_S, STEP_S, time.time(), label)


def test_observed_rates_sizes_and_gauges_match_the_exporter(filled, planned):
    obs = _observe(filled, planned[2])
    chat = obs.of("chat")
    assert chat.status == "ok"
    assert chat.rps_mean == pytest.approx(sum(RATES.values()), rel=0.02)
    assert chat.rps_p95 == pytest.approx(sum(RATES.values()), rel=0.02)
    assert len(chat.rps_steps) == WINDOW_S / STEP_S
    assert chat.input_tokens == pytest.approx(PROMPT, rel=0.02)
    assert chat.output_tokens == pytest.approx(GENERATED, rel=0.02)
    assert chat.ttft_p95_ms == pytest.approx(242.5, rel=0.01)
    assert chat.ttft_mean_ms == pytest.approx(200.0, rel=0.01)
    assert chat.tpot_p95_ms == pytest.approx(39.0, rel=0.01)
    assert chat.tpot_mean_ms == pytest.approx(30.0, rel=0.01)
    assert chat.replicas == pytest.approx(2.0)
    assert chat.requests_running == pytest.approx(5.0)  # mean per replica of 6 and 4
    assert chat.requests_waiting == pytest.approx(1.0)
    assert chat.kv_cache_usage == pytest.approx(0.4)
    assert chat.gpu_utilisation == pytest.approx(0.5)  # DCGM's 55 % and 45 %
    assert chat.gpu_memory_used_gib == pytest.approx(18.0)
    assert chat.gpu_memory_utilisation == pytest.approx(18.0 / 24.0)  # A10G: 24 GB
    quiet = obs.of("quiet")
    assert quiet.status == "no data" and quiet.rps_mean is None and not quiet.has_traffic
    assert any("someone-else" in n for n in obs.notes)


def test_a_counter_reset_inside_the_window_is_not_lost(filled):
    """r1 restarted at its 6th scrape: its raw counter fell, and rate() over a window holding
    the fall still gives its 2 req/s."""
    client = PrometheusClient(filled)
    now = time.time()
    raw = client.range('vllm:request_success_total{pod="chat-0-r1"}', now - 60, now, 1)[0].points
    falls = [b.t for a, b in itertools.pairwise(raw) if b.value < a.value]
    assert falls, "the exporter's restart did not show"
    query = 'sum(rate(vllm:request_success_total{pod="chat-0-r1"}[4s]))'
    rate = client.instant(query, falls[0] + 2)[0].points[0].value
    assert rate == pytest.approx(RATES["r1"], rel=0.02)


def test_vllm_model_name_label_works_too(filled, planned):
    chat = _observe(filled, planned[2], label="model_name").of("chat")
    assert chat.rps_mean == pytest.approx(sum(RATES.values()), rel=0.02)


def test_a_bad_query_names_prometheus_and_the_error(filled):
    from planner.errors import PlannerError

    with pytest.raises(PlannerError, match=r"prometheus at http://127\.0\.0\.1:\d+: query failed"):
        PrometheusClient(filled).instant("sum by (", time.time())


def _args(url: str, plan_file: Path, *more: str) -> list[str]:
    return [
        "--plan",
        str(plan_file),
        "--source",
        "prometheus",
        "--url",
        url,
        "--window",
        f"{WINDOW_S:g}s",
        "--step",
        f"{STEP_S:g}s",
        *more,
    ]


def test_cli_observe_in_every_format(filled, planned, cli, tmp_path):
    spec_file, plan_file, _ = planned
    table = cli("observe", *_args(filled, plan_file, "--spec", str(spec_file)))
    assert table.exit_code == 0, table.stderr
    assert "NO DATA" in table.stdout and "requests/s mean" in table.stdout
    assert "Roofline against observation" in table.stdout
    md = cli("observe", *_args(filled, plan_file, "--format", "md"))
    assert md.exit_code == 0 and "| chat | requests/s mean |" in md.stdout
    html = tmp_path / "report.html"
    profiles = tmp_path / "profiles.csv"
    js = cli(
        "observe",
        *_args(
            filled,
            plan_file,
            "--spec",
            str(spec_file),
            "--format",
            "json",
            "--html",
            str(html),
            "--profiles-out",
            str(profiles),
        ),
    )
    assert js.exit_code == 0, js.stderr
    data = json.loads(js.stdout)
    chat = next(w for w in data["workloads"] if w["workload"] == "chat")
    figures = {f["metric"]: f for f in chat["figures"]}
    assert figures["requests/s mean"]["observed"] == pytest.approx(5.0, rel=0.02)
    assert figures["requests/s mean"]["planned"] == 12.0
    assert figures["input tokens mean"]["drift"] == pytest.approx(0.0, abs=0.02)
    assert data["calibration"][0]["workload"] == "chat"
    assert '<section id="observed">' in html.read_text()
    from planner.perf import load_profiles

    assert len(load_profiles(profiles)) == 1


def test_cli_rightsize_shrinks_chat_and_leaves_quiet(filled, planned, cli, tmp_path):
    spec_file, plan_file, plan = planned
    new_spec, new_plan = tmp_path / "new-spec.yaml", tmp_path / "new-plan.json"
    result = cli(
        "rightsize",
        *_args(
            filled,
            plan_file,
            "--spec",
            str(spec_file),
            "--write-spec",
            str(new_spec),
            "--plan-out",
            str(new_plan),
        ),
    )
    assert result.exit_code == 0, result.stderr
    after = Plan.model_validate_json(new_plan.read_text())
    assert after.cost_per_hour < plan.cost_per_hour
    chat = next(w for w in after.workloads if w.name == "chat")
    assert chat.meets_slo and chat.requests_per_second == pytest.approx(5.0, rel=0.02)
    same = [a for a in plan.allocations if a.workload == "quiet"]
    assert [a for a in after.allocations if a.workload == "quiet"] == same
    assert "quiet: no data from prometheus" in result.stdout
    assert "TTFT p95 stays under 1,500 ms at observed load" in result.stdout
    assert spec_file.read_text() == SPEC  # the user's spec is never touched
