"""The parts of the suite by name, imported lazily so one container only loads what it runs."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from livetrust._env import PARTS

if TYPE_CHECKING:
    from livetrust.runtime import ServiceConfig, ServiceDefinition

__all__ = ["PARTS", "Part", "load_part"]


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    build: Callable[[ServiceConfig], ServiceDefinition]
    migrations_dir: Path


def load_part(name: str) -> Part:
    if name not in PARTS:
        raise ValueError(f"unknown part {name!r}; choose one of {', '.join(PARTS)}")
    if name == "gateway":
        module = importlib.import_module("livetrust.gateway")
        return Part(name, module.build_gateway, module.MIGRATIONS_DIR)
    module = importlib.import_module(f"livetrust.{name}")
    return Part(name, module.build_service, module.MIGRATIONS_DIR)
