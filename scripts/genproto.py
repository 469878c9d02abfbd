"""Generate the Python bindings of protos/ into the tree: `python scripts/genproto.py [--check]`.

Messages (`_pb2.py` + `.pyi`) and stubs (`_pb2_grpc.py` + `.pyi`) go next to the code that owns the
proto package: livetrust.common.v1 into livetrust/common/v1, livetrust.<service>.v1 into
services/<service>/v1 (imported as livetrust.<service>.v1), the gateway's into gateway/v1.
`--check` regenerates into a scratch folder and fails if anything in the tree differs (CI runs it).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
# proto package directory (under protos/) -> folder in this tree that holds its bindings
DESTINATIONS = {
    "livetrust/common/v1": ROOT / "livetrust/common/v1",
    "livetrust/identity/v1": ROOT / "services/identity/v1",
    "livetrust/blacklist/v1": ROOT / "services/blacklist/v1",
    "livetrust/credit/v1": ROOT / "services/credit/v1",
    "livetrust/retention/v1": ROOT / "services/retention/v1",
    "livetrust/gateway/v1": ROOT / "gateway/v1",
}
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def _generate(out: Path) -> None:
    import grpc_tools

    protos = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    bindir = Path(sys.executable).parent
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        f"--plugin=protoc-gen-mypy_grpc={bindir / 'protoc-gen-mypy_grpc'}",
        f"--mypy_grpc_out={out}",
        *protos,
    ]
    subprocess.run(cmd, check=True, cwd=PROTOS)


def _generated_files(folder: Path) -> dict[str, Path]:
    if not folder.exists():
        return {}
    return {p.name: p for p in folder.iterdir() if p.name.endswith(GENERATED_SUFFIXES)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the tree's bindings are stale")
    args = parser.parse_args()
    stale: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        _generate(Path(scratch))
        for package_dir, dest in DESTINATIONS.items():
            fresh = _generated_files(Path(scratch) / package_dir)
            current = _generated_files(dest)
            for name in sorted(set(fresh) | set(current)):
                rel = str((dest / name).relative_to(ROOT))
                if name not in fresh:
                    stale.append(f"{rel} (no longer generated)")
                    if not args.check:
                        current[name].unlink()
                elif name not in current or not filecmp.cmp(fresh[name], current[name], shallow=False):
                    stale.append(rel)
                    if not args.check:
                        dest.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(fresh[name], dest / name)
            init = dest / "__init__.py"
            if not init.exists() and not args.check:
                init.touch()
    if args.check and stale:
        print("Generated bindings are stale; run `python scripts/genproto.py`:", *stale, sep="\n  ")
        return 1
    print(f"{len(stale)} file(s) {'stale' if args.check else 'written'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
