"""tidekv: a statically scheduled key-value store for FPGAs, from Python.

The host driver (Rust) behind a small API: a ``Device`` opened from the same
device strings as the CLI's ``--device`` (``serial:PATH[@BAUD]``,
``tcp:HOST:PORT``, ``sim:PRESET``), single requests returning ``(status,
value)``, batches and streams of requests, schedules, failures, counters,
and ``replay`` on the model, in Verilator or on a device.

    >>> import tidekv
    >>> with tidekv.Device("sim:single-c10") as d:
    ...     d.put(7, 42)
    ...     d.get(7)
    ('ok', None)
    ('ok', 42)
"""

from ._tidekv import (
    OPS,
    PRESETS,
    STATUSES,
    Device,
    DeviceError,
    Error,
    InputError,
    LinkError,
    OutputError,
    ReadError,
    VerilatorError,
    replay,
)

__all__ = [
    "Device",
    "replay",
    "Error",
    "InputError",
    "ReadError",
    "OutputError",
    "VerilatorError",
    "LinkError",
    "DeviceError",
    "OPS",
    "STATUSES",
    "PRESETS",
]
