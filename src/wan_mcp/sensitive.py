"""What wan-mcp never uploads: hidden folders of the home, `.env` and key files, and content that looks like a key.

The rules, each giving a reason (never the secret itself) or None:

- `secret_location`: a path with a known credentials folder anywhere (`.ssh`, `.aws`, `.dashscope`, `.gnupg`…),
  or, inside the home, a hidden (dot) folder or file between the allowed folder that holds it and the file
  itself. A hidden folder that is itself named as an allowed folder (wan-mcp's own data folder under
  `~/.local/share`) stays readable; the credentials folders never are.
- `secret_name`: `.env` files (`.env`, `.env.local`, `prod.env`), `.netrc`/`.npmrc`/`.pypirc`/`.git-credentials`,
  `credentials`, `api_key`, SSH private keys (`id_rsa`, `id_ed25519`…), and key containers (`.pem`, `.p12`,
  `.pfx`, `.jks`, `.keystore`, `.ppk`).
- `key_material` (any file's first bytes): a PEM or OpenPGP private key block, or a PuTTY key file.
- `token_text` (text only, the whole file): a private key block; a known key format (DashScope/OpenAI `sk-…`,
  Alibaba Cloud `LTAI…`, AWS `AKIA…`, GitHub `ghp_…`/`github_pat_…`, Slack `xox?-…`, Google `AIza…`, JWTs); a line
  assigning a value of 8+ characters to a name containing key, secret, token or password (`API_KEY=…`,
  `password: …`); or a short file whose only content is one token-like word of 20+ characters mixing letters and
  digits (a bare key file). Conservative on purpose: a document that merely shows such an assignment is refused
  too, with the line number, so the user can remove it.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath

SECRET_FOLDERS = frozenset(
    {".ssh", ".gnupg", ".aws", ".azure", ".dashscope", ".docker", ".kube", ".password-store", ".gcloud", ".oci"}
)
SECRET_NAMES = frozenset(
    {
        ".netrc",
        ".npmrc",
        ".pypirc",
        ".git-credentials",
        ".htpasswd",
        ".pgpass",
        "credentials",
        "api_key",
        "apikey",
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        "id_ecdsa_sk",
        "id_ed25519_sk",
    }
)
SECRET_SUFFIXES = frozenset({".pem", ".p12", ".pfx", ".jks", ".keystore", ".ppk"})

_PRIVATE_KEY = re.compile(
    rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|-----BEGIN PGP PRIVATE KEY BLOCK-----|PuTTY-User-Key-File-"
)
_KNOWN_TOKENS = re.compile(
    r"\bsk-[A-Za-z0-9_-]{20,}"
    r"|\bLTAI[A-Za-z0-9]{12,30}\b"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{20,}"
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"
    r"|\bAIza[0-9A-Za-z_-]{35}"
    r"|\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
)
_ASSIGNMENT = re.compile(  # starts at the keyword, so a long line costs linear time, not quadratic
    r"(?i)(?:api[_-]?key|secret|token|passw(?:or)?d|access[_-]?key|private[_-]?key)"
    r"[A-Za-z0-9_.-]{0,40}[\"']?[ \t]*[=:][ \t]*[\"']?[^\s\"']{8,}"
)
_BARE_TOKEN = re.compile(r"[A-Za-z0-9_\-.+/=:]{20,}")
BARE_TOKEN_MAX_BYTES = 1024


def secret_location(path: Path, roots: tuple[Path, ...] | None, home: Path | None) -> str | None:
    """Why a (resolved) path lies where secrets live, or None."""
    for part in path.parts:
        if part in SECRET_FOLDERS:
            return f"it is inside {part}, a folder that holds credentials"
    if home is None or not path.is_relative_to(home):
        return None
    anchor = home
    for root in roots or ():
        if (
            root != home
            and root.is_relative_to(home)
            and path.is_relative_to(root)
            and len(root.parts) > len(anchor.parts)
        ):
            anchor = root
    hidden = next((part for part in path.relative_to(anchor).parts if part.startswith(".")), None)
    if hidden is None:
        return None
    return f"it is inside {hidden}, a hidden folder of the home (where settings and keys are kept)"


def secret_name(path: PurePath) -> str | None:
    """Why a file's name says it holds secrets (a .env file, a key file), or None."""
    name = path.name.lower()
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "it is a .env file (where keys and passwords are kept)"
    if name in SECRET_NAMES:
        return f"a file named {path.name} holds credentials"
    if path.suffix.lower() in SECRET_SUFFIXES:
        return f"a {path.suffix.lower()} file holds keys or certificates"
    return None


def key_material(head: bytes) -> str | None:
    """Why a file's first bytes are a private key, or None."""
    if _PRIVATE_KEY.search(head):
        return "it contains a private key"
    return None


def token_text(text: str, *, whole_file: bool) -> str | None:
    """Why a text holds a key, token or password, or None; `whole_file` when `text` is all of a file."""
    if _PRIVATE_KEY.search(text.encode("utf-8", "ignore")):
        return "it contains a private key"
    found = _KNOWN_TOKENS.search(text)
    if found is not None:
        return f"line {text.count(chr(10), 0, found.start()) + 1} holds what looks like an API key or token"
    found = _ASSIGNMENT.search(text)
    if found is not None:
        return f"line {text.count(chr(10), 0, found.start()) + 1} assigns what looks like a key or password"
    stripped = text.strip()
    if (
        whole_file
        and len(stripped.encode()) <= BARE_TOKEN_MAX_BYTES
        and _BARE_TOKEN.fullmatch(stripped)
        and any(c.isdigit() for c in stripped)
        and any(c.isalpha() for c in stripped)
    ):
        return "its only content is one token-like word (a key file)"
    return None
