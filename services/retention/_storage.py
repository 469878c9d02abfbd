"""Storage of the retention service. Its tables arrive with the issue that builds the service."""

from sqlalchemy.orm import DeclarativeBase

from livetrust.runtime import make_metadata

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata
