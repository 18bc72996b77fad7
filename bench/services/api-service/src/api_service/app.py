"""A Flask app: items stored with SQLAlchemy, validated with pydantic, metrics for Prometheus."""

from __future__ import annotations

import argparse
import datetime
import os

import structlog
from flask import Flask, jsonify, request
from prometheus_client import Counter, generate_latest
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

log = structlog.get_logger()
REQUESTS = Counter("api_service_requests", "requests served", ["route"])


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)


def create_app(database: str = "sqlite://") -> Flask:
    app = Flask(__name__)
    engine = create_engine(database)
    Base.metadata.create_all(engine)

    @app.get("/health")
    def health():
        REQUESTS.labels("health").inc()
        return jsonify(status="ok", time=datetime.datetime.now(datetime.timezone.utc).isoformat())

    @app.get("/items")
    def list_items():
        REQUESTS.labels("items").inc()
        with Session(engine) as session:
            return jsonify([{"id": i.id, "name": i.name} for i in session.scalars(select(Item))])

    @app.post("/items")
    def add_item():
        REQUESTS.labels("items").inc()
        try:
            data = ItemIn.model_validate(request.get_json(force=True))
        except ValidationError as error:
            return jsonify(error=error.errors()), 400
        with Session(engine) as session:
            item = Item(name=data.name)
            session.add(item)
            session.commit()
            log.info("item added", id=item.id)
            return jsonify(id=item.id, name=item.name), 201

    @app.get("/metrics")
    def metrics():
        return generate_latest(), 200, {"Content-Type": "text/plain; version=0.0.4"}

    return app


app = create_app(os.environ.get("API_SERVICE_DATABASE", "sqlite://"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bind", default=os.environ.get("API_SERVICE_BIND", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("API_SERVICE_PORT", "8080")))
    args = parser.parse_args()
    app.run(host=args.bind, port=args.port)


if __name__ == "__main__":
    main()
