"""Local files are opened once, checked on the descriptor, and refused when swapped, special, hidden or secret."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

import mediafiles
from conftest import CANARY_KEY
from wan_mcp import localfiles, sensitive
from wan_mcp.localfiles import InputError, open_checked, open_for_upload, os_error

PNG = mediafiles.png(64, 48)


def refusal(path: Path, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as err:
        open_checked(path, **kwargs)  # type: ignore[arg-type]
    return err.value


def test_checked_file_reads_from_its_descriptor(tmp_path: Path) -> None:
    """The checked file gives its real path, size, head and SHA-256 from the descriptor it checked."""
    path = mediafiles.write(tmp_path / "a.png", PNG)
    with open_checked(path, allowed=(tmp_path,)) as checked:
        assert (checked.path, checked.size, checked.head) == (path, len(PNG), PNG)
        assert checked.sha256() == __import__("hashlib").sha256(PNG).hexdigest()
        with checked.reader() as handle:
            assert handle.read() == PNG


def test_a_link_named_by_the_user_is_followed_then_checked(tmp_path: Path) -> None:
    """A symlink the user names resolves to its target, which must lie inside the allowed folders."""
    inside = mediafiles.write(tmp_path / "in" / "a.png", PNG)
    outside = mediafiles.write(tmp_path / "out" / "b.png", PNG)
    (tmp_path / "in" / "link.png").symlink_to(inside)
    (tmp_path / "in" / "escape.png").symlink_to(outside)
    with open_checked(tmp_path / "in" / "link.png", allowed=(tmp_path / "in",)) as checked:
        assert checked.path == inside
    assert refusal(tmp_path / "in" / "escape.png", allowed=(tmp_path / "in",)).code == "outside_allowed_dirs"


def test_special_files_are_refused_without_opening(tmp_path: Path) -> None:
    """A FIFO (which would block a reader until a writer comes) and a device are refused, never opened."""
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert refusal(fifo, allowed=None).code == "not_a_file"
    assert refusal(Path("/dev/zero"), allowed=None).code == "not_a_file"
    assert refusal(tmp_path, allowed=None).code == "not_a_file"


def test_a_file_swapped_for_a_link_after_the_plan_is_refused(tmp_path: Path) -> None:
    """At upload time the planned real path must still be that file: a symlink swapped in is refused (ELOOP)."""
    path = mediafiles.write(tmp_path / "a.png", PNG)
    secret = mediafiles.write(tmp_path / "outside.png", PNG)
    path.unlink()
    path.symlink_to(secret)
    with pytest.raises(InputError) as err:
        open_for_upload(path, size=len(PNG))
    assert err.value.code == "file_changed"


def test_a_folder_swapped_for_a_link_after_the_plan_is_refused(tmp_path: Path) -> None:
    """A parent folder replaced by a link to another folder is caught by the descriptor's real path."""
    folder = tmp_path / "in"
    path = mediafiles.write(folder / "a.png", PNG)
    mediafiles.write(tmp_path / "elsewhere" / "a.png", PNG)
    folder.rename(tmp_path / "old")
    folder.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError) as err:
        open_for_upload(path, size=len(PNG))
    assert err.value.code == "file_changed" and "elsewhere" in err.value.message


def test_a_fifo_swapped_in_after_the_plan_is_refused_without_blocking(tmp_path: Path) -> None:
    """O_NONBLOCK and fstat: a FIFO put in the file's place is refused at once (no writer ever comes)."""
    path = mediafiles.write(tmp_path / "a.png", PNG)
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(InputError) as err:
        open_for_upload(path, size=len(PNG))
    assert err.value.code == "not_a_file"


def test_a_file_of_another_size_or_rewritten_while_read_is_refused(tmp_path: Path) -> None:
    """The size seen at plan time must hold at upload time, and the file must not change while it is read."""
    path = mediafiles.write(tmp_path / "a.png", PNG)
    with pytest.raises(InputError) as err:
        open_for_upload(path, size=len(PNG) + 1)
    assert err.value.code == "file_changed" and "it was" in err.value.message
    with open_for_upload(path, size=len(PNG)) as checked:
        checked.check_unchanged()
        with path.open("ab") as handle:
            handle.write(b"more")
        with pytest.raises(InputError) as err:
            checked.check_unchanged()
    assert err.value.code == "file_changed"


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        (".ssh/id.png", ".ssh"),
        (".aws/cred.png", ".aws"),
        (".config/gcloud/a.png", ".config"),
        ("photos/.private/a.png", ".private"),
        (".hidden.png", ".hidden.png"),
    ],
)
def test_hidden_folders_of_the_home_are_refused_inside_allowed_folders(
    tmp_path: Path, relative: str, reason: str
) -> None:
    """With the home allowed, its hidden folders (and dot-files) are still refused, naming the folder."""
    path = mediafiles.write(tmp_path / relative, PNG)
    err = refusal(path, allowed=(tmp_path,), home=tmp_path)
    assert err.code == "secret_file" and reason in err.message


def test_a_hidden_folder_named_as_allowed_stays_readable(tmp_path: Path) -> None:
    """wan-mcp's own folder under ~/.local/share is readable when the caller allows it by name; not its neighbours,
    and never a credentials folder."""
    own = tmp_path / ".local" / "share" / "wan-mcp" / "frames"
    frame = mediafiles.write(own / "f.png", PNG)
    with open_checked(frame, allowed=(tmp_path, own), home=tmp_path) as checked:
        assert checked.path == frame
    other = mediafiles.write(tmp_path / ".local" / "share" / "other" / "f.png", PNG)
    assert refusal(other, allowed=(tmp_path, own), home=tmp_path).code == "secret_file"
    key = mediafiles.write(tmp_path / ".ssh" / "f.png", PNG)
    assert refusal(key, allowed=(tmp_path / ".ssh",), home=tmp_path).code == "secret_file"


@pytest.mark.parametrize("name", [".env", ".env.local", "prod.env", "id_ed25519", "server.pem", "api_key"])
def test_secret_file_names_are_refused_anywhere(tmp_path: Path, name: str) -> None:
    """.env files and key files are refused by name, even outside the home."""
    path = mediafiles.write(tmp_path / "project" / name, PNG)
    assert refusal(path, allowed=None, home=tmp_path / "home").code == "secret_file"


@pytest.mark.parametrize(
    "content",
    [
        b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        b"# Brief\n\nThe key is " + CANARY_KEY.encode() + b" for now.\n",
        b"notes\nDASHSCOPE_API_KEY = abcdefgh12345678\n",
        b"password: correct-horse-battery\n",
        b"AKIAIOSFODNN7EXAMPLE\n",
        b"hf_Xq7ZpL0mN4rT8vW2yB6dK9sJ3cF5gH1a\n",
    ],
)
def test_key_material_in_the_content_is_refused(tmp_path: Path, content: bytes) -> None:
    """Private keys, known key formats, key assignments and bare token files are refused; the secret is not echoed."""
    path = mediafiles.write(tmp_path / "brief.md", content)
    err = refusal(path, allowed=None, home=tmp_path)
    assert err.code == "secret_file" and CANARY_KEY not in err.message and "abcdefgh" not in err.message


def test_a_key_far_into_a_large_text_is_found(tmp_path: Path) -> None:
    """The whole text is scanned, across chunk boundaries."""
    filler = b"A calm story about foxes.\n" * (localfiles.CHUNK // 26)
    path = mediafiles.write(tmp_path / "long.md", filler[:-5] + b" " + CANARY_KEY.encode() + b"\n")
    assert refusal(path, allowed=None, home=tmp_path).code == "secret_file"


def test_ordinary_documents_and_media_pass(tmp_path: Path) -> None:
    """A plain brief, a document mentioning tokens in prose, and media are not mistaken for secrets."""
    brief = b"# Launch film\n\nShow the product; each token of the design matters.\nPrice: 42 USD.\n"
    for name, data in [("brief.md", brief), ("a.png", PNG), ("clip.mp4", mediafiles.mp4(2))]:
        with open_checked(mediafiles.write(tmp_path / name, data), allowed=(tmp_path,), home=tmp_path) as checked:
            assert checked.size == len(data)


def test_paths_over_255_bytes_are_refused_in_our_format(tmp_path: Path) -> None:
    """A 300-byte name gives path_too_long (never a bare OSError), before the file system is asked."""
    err = refusal(tmp_path / ("a" * 296 + ".png"), allowed=None)
    assert err.code == "path_too_long" and "255" in err.message


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (errno.EACCES, "permission_denied"),
        (errno.EPERM, "permission_denied"),
        (errno.ENAMETOOLONG, "path_too_long"),
        (errno.ENOENT, "file_not_found"),
        (errno.ELOOP, "file_changed"),
        (errno.EIO, "unreadable_file"),
    ],
)
def test_os_errors_become_input_errors(number: int, code: str) -> None:
    """Each OSError met on a local file becomes our own InputError with a fix."""
    err = os_error(Path("/x/a.png"), OSError(number, os.strerror(number)))
    assert err.code == code and err.fix


def test_real_path_fallback_compares_device_and_inode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the descriptor cannot name its path, the resolved path is taken only if it is the same file."""
    path = mediafiles.write(tmp_path / "a.png", PNG)
    other = mediafiles.write(tmp_path / "b.png", PNG)
    monkeypatch.setattr(sys, "platform", "plan9")
    fd = os.open(path, os.O_RDONLY)
    try:
        assert localfiles.real_path(fd, path) == path
        assert localfiles.real_path(fd, other) != other
    finally:
        os.close(fd)


def test_secret_rules_give_reasons_not_secrets() -> None:
    """The rules name why (a line number, a folder), never the matched text."""
    reason = sensitive.token_text(f"a\nb\nkey {CANARY_KEY}\n", whole_file=True)
    assert reason is not None and "line 3" in reason and CANARY_KEY not in reason
    assert sensitive.token_text("A story of twenty-one foxes.", whole_file=True) is None
