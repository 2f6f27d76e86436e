"""The tidekv Python package against virtual devices (make test: pytest).

Every wait is bounded: the driver's own timeouts (Device(timeout_ms=...))
and pytest-timeout (pyproject.toml) for the test as a whole.
"""

import contextlib
import io
import json
import re
import subprocess
from pathlib import Path

import pytest

import tidekv

ROOT = Path(__file__).resolve().parents[3]
SINGLE = "sim:single-c10"
REPLICATED = "sim:replicated-c10-s2-r3"


@pytest.fixture(scope="module")
def single():
    with tidekv.Device(SINGLE) as d:
        yield d


def test_readme_example_prints_what_the_readme_says():
    """The README's Python example runs, and prints what its comments say."""
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"## Python.*?```python\n(.*?)```", readme, re.S)
    assert m, "README.md has a '## Python' section with a ```python example"
    code = m.group(1)
    want = [c.strip() for c in re.findall(r"#\s*(.+)$", code, re.M)]
    assert len(code.strip().splitlines()) == 5, "the example is five lines"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().splitlines() == want


def test_single_requests_answer_as_spec(single):
    d = single
    assert d.clients == 10 and d.latency == 2
    assert d.delete(1000) in [("ok", None), ("not_found", None)]
    assert d.get(1000) == ("not_found", None)
    # SPEC section 2's responses: insert the inserted value, modify, put
    # and delete the old one, put of a new key none.
    assert d.insert(1000, 5) == ("ok", 5)
    assert d.insert(1000, 6) == ("exists", None)
    assert d.get(1000, client=9) == ("ok", 5)
    assert d.modify(1000, 7) == ("ok", 5)
    assert d.put(1000, 8) == ("ok", 7)
    assert d.request("get", 1000) == ("ok", 8)
    assert d.delete(1000) == ("ok", 8)
    assert d.modify(1000, 1) == ("not_found", None)
    assert d.put(1000, 3) == ("ok", None)
    assert set(tidekv.STATUSES) >= {"ok", "not_found", "exists", "full", "unavailable"}


def test_bad_requests_raise_input_error_and_run_nothing(single):
    d = single
    before = d.round()
    with pytest.raises(tidekv.InputError, match="32-bit keys"):
        d.get(1 << 40)
    with pytest.raises(tidekv.InputError, match="client 10: the device has clients 0..10"):
        d.put(1, 1, client=10)
    with pytest.raises(tidekv.InputError, match="op \"fetch\""):
        d.request("fetch", 1)
    with pytest.raises(OverflowError):
        d.get(-1)
    assert d.round() == before, "a refused request ran rounds"


def test_info_and_stats(single):
    i = single.info()
    assert i["clients"] == 10 and i["clocks_per_round"] == 10 and i["latency"] == 2
    assert "byte-stream" in i["device"] or "UART" in i["device"]
    s0 = single.stats()
    single.get(3)
    s1 = single.stats()
    assert set(s1) == {"core", "link"}
    assert s1["core"]["get"] == s0["core"]["get"] + 1
    assert s1["link"]["frames"] > s0["link"]["frames"]
    assert s1["link"]["crc"] == 0


def test_batch_answers_in_round_client_order(single):
    d = single
    reqs = [{"client": c, "op": "put", "key": 50 + c, "value": 100 + c} for c in range(10)]
    reqs += [{"client": c, "op": "get", "key": 59 - c} for c in range(10)]
    reqs.append(json.dumps({"client": 3, "op": "get", "key": 53}))
    out = d.batch(reqs)
    assert len(out) == 21
    keys = [(a["round"], a["client"]) for a in out]
    assert keys == sorted(keys)
    assert all(a["done_round"] == a["round"] + 2 for a in out)
    gets = [a for a in out if a["op"] == "get"]
    assert [a["value"] for a in gets[:10]] == [100 + (9 - c) for c in range(10)]
    assert gets[10]["value"] == 103


def test_bad_batch_is_refused_whole(single):
    d = single
    before = d.round()
    d.put(77, 1)
    bad = [{"client": 0, "op": "put", "key": 77, "value": 2}, {"client": 0, "op": "put", "key": 77}]
    with pytest.raises(tidekv.InputError, match="the batch: line 2: put needs a \"value\""):
        d.batch(bad)
    with pytest.raises(tidekv.InputError, match="line 1"):
        d.batch(["not json"])
    assert d.get(77) == ("ok", 1), "the good line before the bad one ran"
    assert d.round() == before + 2 * 3


def test_stream_lazily_with_callback_and_check(single):
    d = single
    seen = []
    pulled = []

    def gen():
        for i in range(2000):
            pulled.append(i)
            yield {"client": i % 10, "op": "put", "key": 10_000 + i % 300, "value": i}

    s = d.stream(gen(), on_answer=seen.append, check=True)
    assert s["requests"] == 2000 == len(seen) == len(pulled)
    assert s["statuses"] == {"ok": 2000}
    assert s["check"]["keys"] == 300 and s["check"]["lost"] == []
    assert s["ops_per_s"] > 0 and s["p99_us"] >= s["p50_us"] > 0
    assert d.get(10_000 + 1999 % 300) == ("ok", 1999)


def test_stream_raises_what_the_iterator_or_callback_raises(single):
    d = single

    def gen():
        yield {"client": 0, "op": "get", "key": 1}
        raise RuntimeError("the generator broke")

    with pytest.raises(RuntimeError, match="the generator broke"):
        d.stream(gen())

    def cb(_a):
        raise KeyError("the callback broke")

    with pytest.raises(KeyError, match="the callback broke"):
        d.stream([{"client": 0, "op": "get", "key": 1}], on_answer=cb)
    # The device still answers.
    assert d.get(1)[0] in ("ok", "not_found")


def test_replay_on_device_model_and_verilator_agree(single):
    trace = ROOT / "examples" / "aegir.jsonl"
    model = tidekv.replay(trace, preset="single-c10")
    assert model and all({"round", "client", "op", "key", "status", "value", "done_round"} <= set(a) for a in model)
    assert single.replay(trace, preset="single-c10") == model
    # Lines as dicts are a trace too; the device's build is the default configuration.
    lines = [json.loads(l) for l in trace.read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert single.replay(lines) == model
    assert single.round() > 0
    cli = subprocess.run([str(ROOT / "target/release/tidekv"), "replay", "--preset", "single-c10", str(trace)], capture_output=True, text=True, timeout=120, check=True)
    assert [json.loads(l) for l in cli.stdout.splitlines()] == model


def test_replay_errors_name_the_line(single):
    with pytest.raises(tidekv.InputError, match="the trace: line 2"):
        tidekv.replay([{"round": 0, "client": 0, "op": "get", "key": 1}, {"round": 0, "client": 99, "op": "get", "key": 1}], preset="single-c10")
    with pytest.raises(tidekv.InputError, match="no such preset"):
        tidekv.replay([], preset="nope")
    with pytest.raises(tidekv.ReadError, match="cannot read"):
        tidekv.replay(ROOT / "no-such.jsonl", preset="single-c10")
    with pytest.raises(tidekv.InputError, match="backend"):
        tidekv.replay([], preset="single-c10", backend="fpga")
    with pytest.raises(tidekv.InputError, match="built for"):
        single.replay([], preset="replicated-c10-s2-r3")


def test_bad_device_strings_and_dead_links():
    with pytest.raises(tidekv.InputError, match="give serial:PATH"):
        tidekv.Device("nonsense")
    with pytest.raises(tidekv.LinkError, match="cannot connect"):
        tidekv.Device("tcp:127.0.0.1:1", timeout_ms=500)
    with pytest.raises(tidekv.LinkError):
        tidekv.Device("serial:/dev/no-such-port")
    assert issubclass(tidekv.LinkError, tidekv.Error) and issubclass(tidekv.Error, Exception)


def test_closed_device_raises():
    d = tidekv.Device(SINGLE)
    d.close()
    with pytest.raises(tidekv.InputError, match="closed"):
        d.get(1)
    assert "closed" in repr(d)


def test_tcp_virtual_device():
    """A `tidekv sim --tcp` child, reached by its tcp: device string."""
    p = subprocess.Popen([str(ROOT / "target/release/tidekv"), "--json", "sim", "--preset", "single-c10", "--tcp", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert line, "tidekv sim printed nothing"
        spec = json.loads(line)["device"]
        assert spec.startswith("tcp:127.0.0.1:")
        with tidekv.Device(spec, timeout_ms=5000) as d:
            assert d.put(5, 6) == ("ok", None)
            assert d.get(5) == ("ok", 6)
            assert d.info()["device"].startswith("tcp:")
    finally:
        p.kill()
        p.wait(timeout=30)


def test_pcie_virtual_devices(tmp_path):
    """The PCIe mailbox gateware: in process (`sim-pcie:`) and served by a
    `tidekv sim --pcie --vfio-user` child (`vfio-user:`), answering as the
    byte-stream device does."""
    trace = ROOT / "examples" / "aegir.jsonl"
    model = tidekv.replay(trace, preset="single-c10")
    with tidekv.Device("sim-pcie:single-c10") as d:
        assert d.put(5, 6) == ("ok", None)
        assert d.get(5) == ("ok", 6)
        assert d.replay(trace, preset="single-c10") == model
    sock = tmp_path / "tk.sock"
    p = subprocess.Popen([str(ROOT / "target/release/tidekv"), "--json", "sim", "--preset", "single-c10", "--pcie", "--vfio-user", str(sock)], stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert line, "tidekv sim printed nothing"
        spec = json.loads(line)["device"]
        assert spec == f"vfio-user:{sock}"
        with tidekv.Device(spec, timeout_ms=5000) as d:
            assert d.insert(7, 8)[0] == "ok"
            assert d.get(7) == ("ok", 8)
            assert d.info()["clients"] == 10
        assert p.wait(timeout=60) == 0, "the server stops when its one client hangs up"
    finally:
        p.kill()
        p.wait(timeout=30)


def test_replicated_schedule_failure_and_recovery(tmp_path):
    with tidekv.Device(REPLICATED, timeout_ms=5000) as d:
        halves = ROOT / "examples" / "schedule-halves.toml"
        l = d.load_schedule(halves)
        assert l["took_effect"] is True and l["device_round"] > l["round"]
        s = d.show_schedule()
        assert s["swap"]["took_effect"] and s["shard_map"] == [0] * 128 + [1] * 128
        # A bad schedule changes nothing.
        bad = tmp_path / "bad.toml"
        bad.write_text("[schedule]\nshard_map = [2]\n")
        with pytest.raises(tidekv.InputError, match="shard_map"):
            d.load_schedule(bad)
        assert d.show_schedule()["shard_map"] == s["shard_map"]
        with pytest.raises(tidekv.InputError, match="node 5/0"):
            d.fail(0, shard=5)

        f = d.fail(1)
        assert f["state"] == "failed"
        reqs = [{"client": i % 10, "op": "put", "key": i, "value": i + 1} for i in range(200)]
        reqs.append({"recover": {"shard": 0, "replica": 1}})
        reqs += [{"client": i % 10, "op": "put", "key": i, "value": i + 2} for i in range(0, 200, 2)]
        s = d.stream(reqs, check=True)
        assert s["events"] == 1 and s["requests"] == 300
        assert s["check"]["lost"] == [], s["check"]
        assert d.stats()["core"]["detections"] >= 1
        assert d.get(2) == ("ok", 4) and d.get(3) == ("ok", 4)
