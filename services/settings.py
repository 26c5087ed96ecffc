"""The one settings class. Read at start-up through `get_settings()`, never at import time.

Every field is `STUDYPLANNER_<NAME>` in the environment or in `.env`. The defaults are the
embedded ones (SQLite and a folder broker under ./var/), so a fresh clone runs with no servers.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.embedded_secrets import embedded_api_secret, embedded_fernet_key

EMBEDDED_BROKER_URL = "filesystem://"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STUDYPLANNER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    var_dir: Path = Field(
        default=Path("./var"), description="Folder for the embedded database, broker and keys."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: sqlite:///<var_dir>/studyplanner.sqlite3. "
        "Production: postgresql+psycopg://user:pass@host/db.",
    )
    broker_url: str = Field(
        default=EMBEDDED_BROKER_URL,
        description="Celery broker. Default: a folder broker under <var_dir>/broker. "
        "Production: redis://host:6379/0.",
    )
    result_backend: str | None = Field(
        default=None,
        description="Celery result backend. Default: the Redis broker's URL, or a SQLite file "
        "under <var_dir> on the embedded broker.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for locks and rate limits shared between workers. Default: the broker "
        "URL when it is Redis; otherwise in-process/database fallbacks.",
    )
    fernet_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet keys; the first encrypts, all decrypt. Default: one "
        "generated and kept in <var_dir>/fernet.key (with a warning).",
    )
    task_soft_time_limit_s: int = Field(default=240, ge=1, description="Soft time limit per task.")
    task_time_limit_s: int = Field(default=300, ge=1, description="Hard time limit per task.")
    heartbeat_interval_s: float = Field(
        default=60.0, gt=0, description="How often beat sends the worker heartbeat task."
    )
    event_archive_months: int = Field(
        default=12, ge=1, description="Task events older than this move to the archive table."
    )
    feed_refresh_interval_min: int = Field(
        default=60, ge=5, description="How often each LMS feed is fetched again."
    )
    feed_allow_http: bool = Field(
        default=False,
        description="Also fetch http:// feed URLs (tests and emulators; https/webcal only "
        "otherwise).",
    )
    feed_allowed_networks: str = Field(
        default="",
        description="Test-only: comma-separated addresses or CIDR blocks a feed may resolve to "
        "although loopback or private (e.g. 127.0.0.1 for a feed served on this machine). "
        "Leave empty in production.",
    )
    feed_max_bytes: int = Field(
        default=5_000_000, ge=1, description="A feed larger than this is refused."
    )
    feed_timeout_s: float = Field(
        default=20.0, gt=0, description="Deadline of one feed fetch, redirects included."
    )
    feed_max_redirects: int = Field(
        default=3, ge=0, le=10, description="Redirects a feed fetch follows."
    )
    dispatch_interval_s: float = Field(
        default=60.0, gt=0, description="How often beat looks for users due a sync."
    )
    dispatch_spread_max_s: int = Field(
        default=3000,
        ge=0,
        le=3300,
        description="Due syncs start spread over at most this many seconds (under Redis' "
        "one-hour visibility timeout).",
    )
    log_level: str = Field(default="INFO", description="Log level of the worker and the CLI.")
    google_api_endpoint: str = Field(
        default="https://www.googleapis.com",
        description="Base URL of Google Calendar (an emulator URL in tests and the demo).",
    )
    google_token_uri: str = Field(
        default="https://oauth2.googleapis.com/token", description="OAuth token endpoint."
    )
    google_client_id: str | None = Field(default=None, description="OAuth client id.")
    google_client_secret: SecretStr | None = Field(default=None, description="OAuth secret.")
    notion_base_url: str = Field(
        default="https://api.notion.com", description="Base URL of the Notion API."
    )
    notion_rate_per_s: float = Field(
        default=2.5, gt=0, description="Notion requests per second per integration token."
    )
    notion_burst: int = Field(default=3, ge=1, description="Notion requests allowed in a burst.")
    sync_horizon_days: int = Field(
        default=14,
        ge=1,
        le=90,
        description="How far ahead planned blocks are written to Google Calendar and Notion (the "
        "plan itself reaches the last known deadline).",
    )
    plan_ahead_max_days: int = Field(
        default=180,
        ge=1,
        le=366,
        description="The farthest the planner looks ahead for deadlines (free time is checked "
        "up to the last one, at most this far).",
    )
    # --- the HTTP API (api/) ---
    api_auth_mode: Literal["hs256", "jwks"] = Field(
        default="hs256",
        description="hs256: tokens signed with STUDYPLANNER_API_JWT_SECRET (minted by "
        "'studyplanner api token'); jwks: RS256/ES256 tokens of a host app, keys from a JWKS URL.",
    )
    api_jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 secret (at least 32 characters). Default: one generated and kept in "
        "<var_dir>/api-jwt.secret.",
    )
    api_jwks_url: str | None = Field(default=None, description="JWKS URL (jwks mode).")
    api_jwt_algorithms: str = Field(
        default="RS256,ES256",
        description="Comma-separated algorithms accepted in jwks mode (RS*, PS*, ES*, EdDSA).",
    )
    api_jwt_issuer: str = Field(default="studyplanner", description="Required `iss` claim.")
    api_jwt_audience: str = Field(default="studyplanner-api", description="Required `aud`.")
    api_jwt_leeway_s: int = Field(
        default=30, ge=0, le=300, description="Clock skew allowed on exp/nbf/iat (seconds)."
    )
    api_user_claim: str = Field(
        default="sub", description="The claim that names the user (a host app: e.g. email)."
    )
    api_user_key: Literal["id", "email"] = Field(
        default="id", description="What the user claim holds: our user id or the email."
    )
    api_admin_claim: str = Field(
        default="role", description="Claim (dotted path allowed) that marks an admin."
    )
    api_admin_value: str = Field(
        default="admin", description="Value of the admin claim (or an item of it) for admins."
    )
    api_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (413 above)."
    )
    api_rate_limit: int = Field(
        default=600, ge=0, description="Requests per window per principal (0: no limit)."
    )
    api_rate_window_s: int = Field(
        default=60, ge=1, description="Length of the rate-limit window (seconds)."
    )
    # --- the student's pages and the OAuth flows (api/pages) ---
    public_base_url: str | None = Field(
        default=None,
        description="The API's public URL (https://plan.example.edu): the students' pages and "
        "the OAuth redirect URIs are built from it (default: the URL each request came in on), "
        "and webhooks arrive at <url>/v1/webhooks/google and <url>/v1/webhooks/notion.",
    )
    google_auth_uri: str = Field(
        default="https://accounts.google.com/o/oauth2/auth",
        description="Google's consent page (the emulator's /o/oauth2/auth in tests).",
    )
    google_revoke_uri: str = Field(
        default="https://oauth2.googleapis.com/revoke",
        description="Where a disconnect revokes the Google grant.",
    )
    notion_client_id: str | None = Field(
        default=None, description="OAuth client id of the Notion public integration."
    )
    notion_client_secret: SecretStr | None = Field(
        default=None, description="OAuth client secret of the Notion public integration."
    )
    web_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs OAuth states and CSRF tokens (at least 32 characters). "
        "Default: derived from the API's JWT secret.",
    )
    web_session_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="How long a browser stays signed in."
    )
    web_invite_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="How long a sign-in link stays valid."
    )
    oauth_state_minutes: int = Field(
        default=10, ge=1, le=60, description="How long a student may take on a consent page."
    )
    api_health_cache_s: float = Field(
        default=2.0, ge=0, description="How long /v1/health reuses its last result (seconds)."
    )

    push_enabled: bool = Field(
        default=False,
        description="Real-time sync: Google push channels and Notion webhooks (polling stays "
        "as the safety net). Needs public_base_url.",
    )
    push_debounce_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="A student's push-triggered sync starts this long after the last "
        "notification of a burst.",
    )
    push_storm_cap_s: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="...but never later than this after the burst's first notification.",
    )
    push_channel_ttl_s: int = Field(
        default=7 * 24 * 3600,
        ge=600,
        description="Lifetime asked for a Google watch channel (Google may grant less).",
    )
    push_renew_margin_s: int = Field(
        default=24 * 3600,
        ge=60,
        description="A channel is replaced this long before it expires.",
    )
    push_healthy_poll_interval_min: int = Field(
        default=240,
        ge=1,
        le=1440,
        description="Polling interval for students whose push is healthy (otherwise their "
        "own auto_sync_interval_min, 15 by default).",
    )

    @model_validator(mode="after")
    def _push_needs_an_address(self) -> Settings:
        if self.push_storm_cap_s < self.push_debounce_s:
            raise ValueError("push_storm_cap_s must be at least push_debounce_s")
        if self.push_renew_margin_s >= self.push_channel_ttl_s:
            raise ValueError("push_renew_margin_s must be shorter than push_channel_ttl_s")
        if self.push_enabled:
            if not self.public_base_url:
                raise ValueError(
                    "push_enabled needs STUDYPLANNER_PUBLIC_BASE_URL (where Google and Notion "
                    "can reach the webhook routes)"
                )
            parts = urlsplit(self.public_base_url)
            local = parts.hostname in {"127.0.0.1", "localhost", "::1"}
            # Google accepts only HTTPS webhook addresses; plain HTTP is for the emulators.
            if parts.scheme != "https" and not (parts.scheme == "http" and local):
                raise ValueError("public_base_url must be an https:// URL")
        return self

    def webhook_url(self, provider: str) -> str:
        """Where `provider` ("google" or "notion") delivers its notifications."""
        if not self.public_base_url:
            raise ValueError("public_base_url is not set")
        return f"{self.public_base_url.rstrip('/')}/v1/webhooks/{provider}"

    @field_validator(
        "database_url",
        "result_backend",
        "redis_url",
        "api_jwt_secret",
        "api_jwks_url",
        "public_base_url",
        "notion_client_id",
        "notion_client_secret",
        "web_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("feed_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"not an address or CIDR block: {part.strip()!r}") from None
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'studyplanner.sqlite3').resolve()}"

    @property
    def uses_embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    @property
    def broker_folder(self) -> Path:
        return (self.var_dir / "broker").resolve()

    @property
    def effective_result_backend(self) -> str:
        if self.result_backend:
            return self.result_backend
        if self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return f"db+sqlite:///{(self.var_dir / 'celery-results.sqlite3').resolve()}"

    @property
    def effective_redis_url(self) -> str | None:
        if self.redis_url:
            return self.redis_url
        if self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    def as_env(self) -> dict[str, str]:
        """These settings as STUDYPLANNER_* variables (unset ones left out): what a child
        process — a worker started by the demo or a benchmark — needs to see exactly them."""
        env = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, Path):
                value = value.resolve()
            env[f"STUDYPLANNER_{name.upper()}"] = str(value)
        return env

    def fernet_key_list(self) -> list[str]:
        """The configured keys, or the embedded default key kept under var_dir."""
        if self.fernet_keys is not None:
            keys = [k.strip() for k in self.fernet_keys.get_secret_value().split(",") if k.strip()]
            if not keys:
                raise ValueError("STUDYPLANNER_FERNET_KEYS is set but holds no key")
            return keys
        return [embedded_fernet_key(self.var_dir, self._sqlite_file())]

    def _sqlite_file(self) -> Path | None:
        """The database file, when the database is one (a server's database cannot be looked
        at from here: `health` reports a key that cannot read it)."""
        from sqlalchemy.engine import make_url

        url = make_url(self.effective_database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    def api_jwt_secret_value(self) -> str:
        """The HS256 secret: configured, or the embedded default kept under var_dir."""
        if self.api_jwt_secret is not None:
            secret = self.api_jwt_secret.get_secret_value()
        else:
            secret = embedded_api_secret(self.var_dir)
        if len(secret) < 32:
            raise ValueError("STUDYPLANNER_API_JWT_SECRET must be at least 32 characters")
        return secret

    def web_secret_value(self) -> bytes:
        """The key of state signatures and CSRF tokens: configured, or derived from the JWT
        secret (so one setting is enough on the embedded default)."""
        import hashlib

        if self.web_secret is not None:
            secret = self.web_secret.get_secret_value()
            if len(secret) < 32:
                raise ValueError("STUDYPLANNER_WEB_SECRET must be at least 32 characters")
            return secret.encode()
        return hashlib.sha256(b"studyplanner-web:" + self.api_jwt_secret_value().encode()).digest()


def child_process_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """This process's environment with its own STUDYPLANNER_* replaced by `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYPLANNER_")}
    env.update(settings.as_env())
    env.update(overrides)
    return env


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()


def broker_transport_options(settings: Settings) -> dict[str, Any]:
    if settings.uses_embedded_broker:
        folder = settings.broker_folder
        # The folder transport reads "in" and writes "out": the same folder makes it a queue.
        return {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    # Redis redelivers an unacknowledged task after visibility_timeout: it must exceed the hard
    # time limit and any countdown we use, or a long task would run twice at once.
    return {"visibility_timeout": max(3600, settings.task_time_limit_s * 2)}


def ensure_broker_folders(settings: Settings) -> None:
    if settings.uses_embedded_broker:
        options = broker_transport_options(settings)
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
