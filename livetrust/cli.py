"""The ``livetrust`` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from livetrust._env import PARTS

if TYPE_CHECKING:  # the heavy imports happen in the commands that need them (``probe`` needs none)
    from livetrust.runtime import Database, ServiceConfig

__all__ = ["main"]


def _data_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("LIVETRUST_DATA_DIR") or ".livetrust")


def _cmd_up(args: argparse.Namespace) -> int:
    from ._up import run_up

    return run_up(_data_dir(args.data_dir))


def _cmd_serve(args: argparse.Namespace) -> int:
    from livetrust.runtime import ServiceConfig, run_event_loop, serve

    from ._parts import load_part

    part = load_part(args.part)
    config = ServiceConfig.from_env(part.name)
    run_event_loop(serve(config, part.build), event_loop=config.event_loop)
    return 0


def _service_config(name: str, data_dir: str | None) -> tuple[ServiceConfig, Path]:
    from livetrust.runtime import ServiceConfig

    from ._parts import load_part

    env = dict(os.environ)
    if data_dir:
        env["LIVETRUST_DATA_DIR"] = data_dir
    config = ServiceConfig.from_env(name, env)
    part = load_part(name)
    assert config.database_url is not None
    return config, part.migrations_dir


def _cmd_migrate(args: argparse.Namespace) -> int:
    from livetrust.runtime import migrate

    config, migrations_dir = _service_config(args.service, args.data_dir)
    migrate(migrations_dir, config.database_url or "", args.revision)
    print(f"{args.service}: migrated to {args.revision}")
    return 0


def _cmd_makemigration(args: argparse.Namespace) -> int:
    """Autogenerate a revision against a scratch SQLite database migrated to the current head."""
    import tempfile

    from alembic import command

    from livetrust.runtime import alembic_config, migrate

    with tempfile.TemporaryDirectory() as scratch:
        config, migrations_dir = _service_config(args.service, scratch)
        url = config.database_url or ""
        migrate(migrations_dir, url)
        command.revision(alembic_config(migrations_dir, url), message=args.message, autogenerate=not args.empty)
    return 0


def _local_config(part: str, data_dir: str | None) -> ServiceConfig:
    from livetrust.runtime import ServiceConfig

    """The config a command shares with a running suite: the same data dir, database and secrets
    (against a local ``livetrust up``, the secrets it generated in its data dir)."""
    env = dict(os.environ)
    if data_dir:
        env["LIVETRUST_DATA_DIR"] = data_dir
    if not any(k in env for k in ("LIVETRUST_CONSORTIUM_KEY", "LIVETRUST_CONSORTIUM_KEY_FILE")):
        from ._up import dev_environment

        env = dev_environment(_data_dir(data_dir).resolve(), env)
    return ServiceConfig.from_env(part, env)


def _identity_config(args: argparse.Namespace) -> ServiceConfig:
    return _local_config("identity", args.data_dir)


def _keys_database(args: argparse.Namespace) -> Database:
    from livetrust.runtime import Database, migrate

    from ._parts import load_part

    config = _local_config("gateway", args.data_dir)
    assert config.database_url is not None
    part = load_part("gateway")
    migrate(part.migrations_dir, config.database_url)  # a fresh data dir gets its key store here
    return Database(config.database_url, migrations_dir=part.migrations_dir, pool_size=1)


def _cmd_keys_create(args: argparse.Namespace) -> int:
    from livetrust.clock import SystemClock
    from livetrust.gateway._keys import create_key

    db = _keys_database(args)
    try:
        key, token = create_key(
            db,
            platform_id=args.platform,
            role=args.role,
            now=SystemClock().now(),
            rate_per_second=args.rate,
            burst=args.burst,
        )
    finally:
        db.close()
    print(f"key {key.key_id} for platform {key.platform_id} ({key.role.value}); shown once, store it now:")
    print(token)
    return 0


def _cmd_keys_list(args: argparse.Namespace) -> int:
    from livetrust.gateway._keys import list_keys

    db = _keys_database(args)
    try:
        for key in list_keys(db):
            state = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
            print(f"{key.key_id}\t{key.platform_id}\t{key.role.value}\t{key.created_at.isoformat()}\t{state}")
    finally:
        db.close()
    return 0


def _cmd_keys_revoke(args: argparse.Namespace) -> int:
    from livetrust.clock import SystemClock
    from livetrust.gateway._keys import revoke_key

    db = _keys_database(args)
    try:
        key = revoke_key(db, key_id=args.key_id, now=SystemClock().now())
    finally:
        db.close()
    print(f"key {key.key_id} revoked")
    return 0


def _cmd_identity_import(args: argparse.Namespace) -> int:
    from livetrust.identity._commands import import_registry_command

    print(import_registry_command(_identity_config(args), Path(args.csv)))
    return 0


def _cmd_identity_rotate(args: argparse.Namespace) -> int:
    from livetrust.identity._commands import rotate_key_command

    print(rotate_key_command(_identity_config(args)))
    return 0


def _cmd_blacklist_verify_audit(args: argparse.Namespace) -> int:
    from livetrust.blacklist._commands import verify_audit_command
    from livetrust.runtime import ServiceConfig

    env = dict(os.environ)
    if args.data_dir:
        env["LIVETRUST_DATA_DIR"] = args.data_dir
    intact, report = verify_audit_command(ServiceConfig.from_env("blacklist", env))
    print(report)
    return 0 if intact else 1


def _cmd_retention_purge(args: argparse.Namespace) -> int:
    from livetrust.retention._commands import purge_command
    from livetrust.runtime import ServiceConfig

    env = dict(os.environ)
    if args.data_dir:
        env["LIVETRUST_DATA_DIR"] = args.data_dir
    ok, report = purge_command(ServiceConfig.from_env("retention", env), platform_id=args.platform, batch=args.batch)
    print(report)
    return 0 if ok else 1


def _cmd_probe(args: argparse.Namespace) -> int:
    """grpc.health.v1 Check for exec probes (Kubernetes' native gRPC probes cannot speak mutual TLS)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from livetrust.tls import TlsConfig

    tls = TlsConfig.from_env(os.environ)

    async def check() -> int:
        channel = (
            grpc.aio.secure_channel(args.address, tls.channel_credentials())
            if tls is not None
            else grpc.aio.insecure_channel(args.address)
        )
        async with channel:
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout
                )
            except grpc.aio.AioRpcError as exc:
                print(f"{args.address} {args.service!r}: {exc.code().name}", file=sys.stderr)
                return 1
        serving = reply.status == health_pb2.HealthCheckResponse.SERVING
        print(f"{args.address} {args.service!r}: {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}")
        return 0 if serving else 1

    return asyncio.run(check())


def _cmd_bench(args: argparse.Namespace, rest: list[str]) -> int:
    # bench/ lives beside the package in a source checkout (it is not part of the distribution).
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "bench" / "_runner.py").exists() and str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    try:
        from bench._runner import main as bench_main
    except ImportError:
        print("livetrust bench runs from a source checkout (the bench/ folder is not installed)", file=sys.stderr)
        return 2
    return bench_main(rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livetrust", description="Compliance backbone for live commerce.")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the whole suite locally on SQLite until Ctrl-C")
    up.add_argument("--data-dir", help="where SQLite files and dev secrets live (default ./.livetrust)")
    up.set_defaults(func=_cmd_up)

    serve_p = sub.add_parser("serve", help="run one part (as a container does)")
    serve_p.add_argument("part", choices=PARTS)
    serve_p.set_defaults(func=_cmd_serve)

    mig = sub.add_parser("migrate", help="upgrade a service's database to its Alembic head")
    mig.add_argument("service", choices=PARTS)
    mig.add_argument("--revision", default="head")
    mig.add_argument("--data-dir")
    mig.set_defaults(func=_cmd_migrate)

    mk = sub.add_parser("makemigration", help="(developers) autogenerate a date-prefixed revision")
    mk.add_argument("service", choices=PARTS)
    mk.add_argument("-m", "--message", required=True)
    mk.add_argument("--empty", action="store_true", help="an empty revision, not autogenerated")
    mk.set_defaults(func=_cmd_makemigration)

    keys = sub.add_parser("keys", help="API keys of the gateway").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="create a key (printed once, as the last word)")
    create.add_argument("--platform", required=True)
    create.add_argument("--role", required=True, choices=["PLATFORM", "REVIEWER", "ADMIN"])
    create.add_argument("--rate", type=float, help="requests per second (default: the gateway's)")
    create.add_argument("--burst", type=int, help="burst size (default: the gateway's)")
    create.add_argument("--data-dir")
    create.set_defaults(func=_cmd_keys_create)
    listing = keys.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--data-dir")
    listing.set_defaults(func=_cmd_keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key, effective at once")
    revoke.add_argument("key_id")
    revoke.add_argument("--data-dir")
    revoke.set_defaults(func=_cmd_keys_revoke)

    identity = sub.add_parser("identity", help="identity service maintenance").add_subparsers(
        dest="identity_command", required=True
    )
    imp = identity.add_parser("import-registry", help="load name,id_number rows into the local registry")
    imp.add_argument("--data-dir")
    imp.add_argument("csv", help="CSV file with the header name,id_number (optionally id_type: RESIDENT_ID or USCC)")
    imp.set_defaults(func=_cmd_identity_import)
    rot = identity.add_parser("rotate-key", help="re-encrypt stored personal data under the active key")
    rot.add_argument("--data-dir")
    rot.set_defaults(func=_cmd_identity_rotate)

    blacklist = sub.add_parser("blacklist", help="blacklist maintenance").add_subparsers(
        dest="blacklist_command", required=True
    )
    audit = blacklist.add_parser("verify-audit", help="check the audit log's hash chain (exit 1 if broken)")
    audit.add_argument("--data-dir")
    audit.set_defaults(func=_cmd_blacklist_verify_audit)

    retention = sub.add_parser("retention", help="retention maintenance").add_subparsers(
        dest="retention_command", required=True
    )
    purge = retention.add_parser("purge", help="delete what may go, leaving tombstones (exit 1 on failures)")
    purge.add_argument("--platform", help="one platform only (default: all)")
    purge.add_argument("--batch", type=int, default=1000)
    purge.add_argument("--data-dir")
    purge.set_defaults(func=_cmd_retention_purge)

    probe = sub.add_parser("probe", help="health check a part (exec probes; speaks mTLS when configured)")
    probe.add_argument("address", help="host:port, e.g. 127.0.0.1:50054")
    probe.add_argument("--service", default="", help="full service name for readiness; empty: liveness")
    probe.add_argument("--timeout", type=float, default=2.0)
    probe.set_defaults(func=_cmd_probe)

    bench = sub.add_parser("bench", help="run the benchmarks (options as `python -m bench --help`)", add_help=False)
    bench.set_defaults(func=_cmd_bench, passthrough=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args, rest = build_parser().parse_known_args(argv)
    if getattr(args, "passthrough", False):
        return int(args.func(args, rest) or 0)
    if rest:
        build_parser().error(f"unrecognized arguments: {' '.join(rest)}")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
