"""Database URLs (a tenant's own database, an ETL source): which engine, where, as whom. Parsed
here once; shown only masked. Below both the tenancy core and the ETL, which use it alike.

    postgresql://etl_user:pw@db.example:5432/fielddata?sslmode=require
    postgresql://etl_user:pw@/fielddata?host=/var/run/postgresql     (a Unix socket)
    mysql://etl_user:pw@db.example:3306/fielddata                   (MySQL and MariaDB; also mariadb://)
    sqlite:////srv/data/field.db                                      (absolute path; sqlite:///rel.db is relative)
    mssql://etl_user:pw@sql.example:1433/FieldData                   (needs the pymssql package)

The password never leaves this module except to the driver's connect call: ``masked()`` and
``repr()`` replace it (and any password-like query option) with •••, and parse errors never
quote the URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote

MASK = "•••"
SCHEMES = {
    "postgresql": "postgresql", "postgres": "postgresql", "postgresql+psycopg": "postgresql",
    "mysql": "mysql", "mariadb": "mysql", "mysql+pymysql": "mysql",
    "sqlite": "sqlite",
    "mssql": "mssql", "sqlserver": "mssql", "mssql+pymssql": "mssql",
}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mssql": 1433}
ENGINE_LABELS = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "sqlite": "SQLite", "mssql": "SQL Server"}
# Query options passed on to the driver, per engine (PostgreSQL takes any libpq parameter).
OPTIONS = {
    "mysql": {"charset", "ssl_ca", "ssl_verify_cert", "ssl_disabled"},
    "mssql": {"tds_version", "charset"},
    "sqlite": set(),
}
_SECRET_OPTIONS = {"password", "passwd", "pwd", "sslpassword"}


class InvalidSourceUrl(ValueError):
    """A message that names what is wrong and never contains the URL (it may hold a password)."""


@dataclass(frozen=True, repr=False)
class SourceUrl:
    engine: str
    username: str = ""
    password: str = field(default="")
    host: str = ""
    port: int | None = None
    database: str = ""
    options: dict = field(default_factory=dict)

    @property
    def secrets(self) -> list[str]:
        """Strings that must never appear in a message or a log (for scrubbing driver errors)."""
        values = [self.password] + [v for k, v in self.options.items() if k.lower() in _SECRET_OPTIONS]
        out = []
        for value in values:
            if value:
                out += [value, quote(value, safe="")]
        return out

    def masked(self) -> str:
        if self.engine == "sqlite":
            return f"sqlite:///{self.database}"
        user = quote(self.username, safe="") if self.username else ""
        auth = f"{user}:{MASK}@" if self.password else (f"{user}@" if user else "")
        host = f"[{self.host}]" if ":" in self.host else (quote(self.host, safe="") if "/" in self.host else self.host)
        port = f":{self.port}" if self.port else ""
        query = "&".join(f"{k}={MASK if k.lower() in _SECRET_OPTIONS else v}" for k, v in self.options.items())
        return f"{self.engine}://{auth}{host}{port}/{quote(self.database, safe='')}" + (f"?{query}" if query else "")

    def __repr__(self) -> str:
        return f"SourceUrl({self.masked()})"

    __str__ = masked


def parse_source_url(url: str) -> SourceUrl:
    url = (url or "").strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise InvalidSourceUrl("A source URL looks like postgresql://user:password@host:5432/database "
                               "(or mysql://, mariadb://, sqlite:///path, mssql://).")
    engine = SCHEMES.get(scheme.lower())
    if engine is None:
        raise InvalidSourceUrl(f"Unknown database type {scheme[:30]!r}: use postgresql, mysql (or mariadb), "
                               "sqlite or mssql.")
    rest, _, query = rest.partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    if engine == "sqlite":
        path = unquote(rest[1:] if rest.startswith("/") else rest)
        if not path or rest[:1] != "/":
            raise InvalidSourceUrl("A SQLite source is sqlite:////absolute/path.db (or sqlite:///relative.db).")
        _check_options(engine, options)
        return SourceUrl(engine="sqlite", database=path)
    netloc, _, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        userinfo, hostport = "", netloc
    username, _, password = userinfo.partition(":")
    host, port = _host_port(hostport)
    if engine == "postgresql" and not host:
        host = options.pop("host", "")
    database = unquote(path)
    if not database:
        raise InvalidSourceUrl("The URL names no database: add /<database name> after the host.")
    if not host:
        raise InvalidSourceUrl("The URL names no host.")
    _check_options(engine, options)
    return SourceUrl(engine=engine, username=unquote(username), password=unquote(password), host=host,
                     port=port, database=database, options=options)


def _host_port(hostport: str) -> tuple[str, int | None]:
    if hostport.startswith("["):  # IPv6
        host, _, tail = hostport[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    port = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidSourceUrl("The port must be a number from 1 to 65535.")
        port = int(port_text)
    return unquote(host), port


def _check_options(engine: str, options: dict) -> None:
    if engine not in OPTIONS:
        return
    unknown = sorted(set(options) - OPTIONS[engine])
    if unknown:
        allowed = ", ".join(sorted(OPTIONS[engine])) or "none"
        raise InvalidSourceUrl(f"Unsupported option(s) for a {ENGINE_LABELS[engine]} source: "
                               f"{', '.join(u[:30] for u in unknown)} (supported: {allowed}).")


def mask_url(url: str) -> str:
    """The masked form of a URL, or a placeholder if it does not parse (never the URL itself)."""
    try:
        return parse_source_url(url).masked()
    except InvalidSourceUrl:
        return "(unreadable URL)"


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every one of ``secrets`` replaced by ••• (the longest first, so a password
    that contains another is hidden whole)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "•••")
    return text


def scrub_urls(text: str, *urls: str) -> str:
    """``text`` (a driver's message, say) without the password of any of ``urls``; a URL that does
    not parse hides nothing and raises nothing."""
    secrets: list[str] = []
    for url in urls:
        if not url:
            continue
        try:
            secrets.extend(parse_source_url(url).secrets)
        except InvalidSourceUrl:
            continue
    return scrub(text, secrets)
