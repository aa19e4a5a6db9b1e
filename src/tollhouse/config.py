"""Settings, read once by bootstrap from the environment (TOLLHOUSE_*)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOLLHOUSE_", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_DATA_DIR / 'tollhouse.sqlite3'}"
    redis_url: str | None = None
    admin_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    worker_interval_s: float = 0.5
    callback_timeout_s: float = 5.0
    run_worker: bool = True
