"""Type stubs for tidekv's native module (host/python/src/lib.rs)."""

from os import PathLike
from types import TracebackType
from typing import Any, Callable, Iterable, Literal, Mapping, Optional, Union

#: One request, event or answer line of SPEC section 8, as a dict (or JSON text).
Line = Union[Mapping[str, Any], str]
#: A trace: a file path, or its lines.
TraceInput = Union[str, PathLike[str], Iterable[Line]]
#: SPEC's status names: "ok", "not_found", "exists", "full", "unavailable"
#: (STATUSES holds them in code order).
Status = str
Answer = tuple[Status, Optional[int]]

OPS: list[str]
STATUSES: list[str]
PRESETS: list[str]

class Error(Exception):
    """Anything tidekv fails with; the message says what to do."""

class InputError(Error):
    """Bad input (configuration, trace, request, schedule, argument): nothing was run."""

class ReadError(Error):
    """A file could not be read."""

class OutputError(Error):
    """The output could not be written."""

class VerilatorError(Error):
    """The Verilator backend failed to build or run."""

class LinkError(Error):
    """No answer in time, corrupted frames, a port that cannot be opened."""

class DeviceError(Error):
    """The device refused a command or answered wrongly."""

def replay(
    trace: TraceInput,
    preset: Optional[str] = None,
    config: Optional[Union[str, PathLike[str]]] = None,
    backend: Literal["model", "verilator"] = "model",
    replica_policy: Optional[Literal["random", "round_robin", "key_affine"]] = None,
    seed: Optional[int] = None,
    vcd: Optional[Union[str, PathLike[str]]] = None,
) -> list[dict[str, Any]]:
    """Replay a trace on the model or in Verilator: SPEC section 8's output lines."""

class Device:
    """A board, a virtual device, or sim:PRESET in this process."""

    def __init__(self, spec: str, timeout_ms: int = 1000) -> None: ...
    @property
    def spec(self) -> str: ...
    @property
    def clients(self) -> int: ...
    @property
    def latency(self) -> int: ...
    def info(self) -> dict[str, Any]:
        """What `tidekv info --json` prints."""
    def round(self) -> int:
        """The round the device is in."""
    def get(self, key: int, client: int = 0) -> Answer: ...
    def put(self, key: int, value: int, client: int = 0) -> Answer: ...
    def insert(self, key: int, value: int, client: int = 0) -> Answer: ...
    def modify(self, key: int, value: int, client: int = 0) -> Answer: ...
    def delete(self, key: int, client: int = 0) -> Answer: ...
    def request(self, op: str, key: int, value: int = 0, client: int = 0) -> Answer: ...
    def batch(self, requests: Iterable[Line], window: Optional[int] = None) -> list[dict[str, Any]]:
        """Run requests free-running; their answers in (round, client) order. Checked whole first."""
    def stream(
        self,
        requests: Iterable[Line],
        on_answer: Optional[Callable[[dict[str, Any]], Any]] = None,
        window: Optional[int] = None,
        check: bool = False,
    ) -> dict[str, Any]:
        """Stream requests lazily, answers to on_answer; the summary `tidekv stream --json` prints."""
    def load_schedule(self, path: Union[str, PathLike[str]], round: Optional[int] = None, wait: bool = True) -> dict[str, Any]: ...
    def show_schedule(self, shadow: bool = False) -> dict[str, Any]: ...
    def fail(self, replica: int, shard: int = 0) -> dict[str, Any]: ...
    def recover(self, replica: int, shard: int = 0) -> dict[str, Any]: ...
    def stats(self, clear: bool = False) -> dict[str, Any]: ...
    def replay(
        self,
        trace: TraceInput,
        preset: Optional[str] = None,
        config: Optional[Union[str, PathLike[str]]] = None,
    ) -> list[dict[str, Any]]:
        """Reset the device and replay a trace on it, stepped."""
    def close(self) -> None: ...
    def __enter__(self) -> "Device": ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
