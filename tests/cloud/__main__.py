"""`python -m tests.cloud`: serve the fake APIs on fixed ports; print the exports that point tunectl at them.

    eval "$(.venv/bin/python -m tests.cloud --print-env)"   # in another shell: the exports only

Jobs advance one state every `--tick` seconds of real time, so `tunectl tune status` shows progress.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading

from tests.cloud.harness import Cloud, discover_server_classes
from tests.cloud.storage import StorageServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cloud", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tick", type=float, default=5.0, help="seconds of real time per clock tick (0: never)"
    )
    parser.add_argument("--port-offset", type=int, default=0, help="added to every server's fixed port")
    parser.add_argument("--print-env", action="store_true", help="print the exports and exit")
    parser.add_argument(
        "--bucket",
        action="append",
        default=None,
        help="create this bucket (repeatable; default: tunectl-test-tuning)",
    )
    parser.add_argument(
        "--stack",
        action="append",
        default=[],
        help="seed Cloud Scheduler with this example stack's schedules (gpu, tpu; repeatable), planned for "
        "the test project, and create its datasets bucket",
    )
    args = parser.parse_args(argv)
    ports = {name: cls.default_port + args.port_offset for name, cls in discover_server_classes().items()}
    exports = {f"TUNECTL_{name.upper()}": f"http://127.0.0.1:{port}" for name, port in sorted(ports.items())}
    exports |= {"TUNECTL_ANONYMOUS": "1", "TUNECTL_PROJECT": Cloud().project}
    lines = [f"export {key}={shlex.quote(value)}" for key, value in exports.items()]
    if args.print_env:
        print("\n".join(lines))
        return 0
    cloud = Cloud().start(ports)
    cloud.on_violation = lambda violation: print(
        f"contract violation: {violation}", file=sys.stderr, flush=True
    )
    storage = cloud.get(StorageServer)
    for bucket in args.bucket or ["tunectl-test-tuning"]:
        storage.create_bucket(bucket)
    for stack in args.stack:
        _seed_stack(cloud, stack)
    print("\n".join(lines), flush=True)
    print("# serving; Ctrl-C to stop", file=sys.stderr, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(args.tick if args.tick > 0 else 3600):
            if args.tick > 0:
                cloud.clock.tick()
    except KeyboardInterrupt:
        pass
    finally:
        cloud.stop()
    return 0


def _seed_stack(cloud: Cloud, stack: str) -> None:
    """The Scheduler jobs `pulumi up` would create for `stack` in the test project (`tunectl schedules`)."""
    from infra.offline import plan_stack
    from tests.cloud.scheduler import SchedulerServer

    resources = plan_stack(stack, {"gcp:project": cloud.project})
    for resource in resources:
        if resource["type"] == "gcp:cloudscheduler/job:Job":
            cloud.get(SchedulerServer).add_from_stack(resource["inputs"])
        elif resource["type"] == "gcp:storage/bucket:Bucket" and resource["name"] == "datasets-bucket":
            cloud.get(StorageServer).create_bucket(resource["inputs"]["name"])


if __name__ == "__main__":
    sys.exit(main())
