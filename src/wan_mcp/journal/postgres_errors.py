"""A PostgreSQL journal's URL and failures told in our own words: the URL without its password (for errors and logs),
and what went wrong without psycopg's text (which quotes the server's)."""

from __future__ import annotations

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict

from wan_mcp.errors import ConfigError


def database_name(url: str) -> str:
    """The URL without its password (user@host:port/dbname), for errors and logs."""
    return parsed_url(url)[0]


def parsed_url(url: str) -> tuple[str, str]:
    """The URL without its password, and the password (to keep it out of log lines)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise ConfigError(
            "WAN_MCP_DATABASE_URL is not a valid PostgreSQL URL",
            fix="write it as postgresql://user@host:5432/dbname (a password is better kept in PGPASSWORD or .pgpass)",
            code="invalid_database_url",
        ) from None
    user = f"{params['user']}@" if params.get("user") else ""
    port = f":{params['port']}" if params.get("port") else ""
    name = f"postgresql://{user}{params.get('host') or 'localhost'}{port}/{params.get('dbname') or ''}"
    return name, str(params.get("password") or "")


def without_secret(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def failure_reason(exc: psycopg.Error, timeout: float) -> str:
    """What went wrong, in our words (psycopg's text quotes the server's, and is not ours to show)."""
    if isinstance(exc, errors.LockNotAvailable):
        return f"another connection held a lock for more than {timeout / 2:g} s"
    if isinstance(exc, errors.QueryCanceled):
        return f"a statement ran for more than {timeout:g} s"
    if isinstance(exc, psycopg.OperationalError) and not exc.sqlstate:
        return (
            "the server could not be reached or refused the connection "
            "(check the host, port, user, password and database name; the log says which)"
        )
    return f"the database refused the operation ({type(exc).__name__}, SQLSTATE {exc.sqlstate or 'none'})"
