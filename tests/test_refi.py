"""REFI-QDA sources only from the archive (peerlib.part2.refi; issue 10, item 2), and the size
limits on what a .qdpx holds (peerlib.limits)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from peerlib.cli import main
from peerlib.errors import LimitError, QDAError
from peerlib.part2.refi import read_qdpx

from qda_helpers import Doc, Sel, project_xml

TEXT = "Intro line.\nThe team agreed what the role is for.\nEnd."
SECRET = "TOP-SECRET-CONTENT The team agreed what the role is for. and more"


def _qdpx(path: Path, plain_text_path: str, *, source: bytes | None = None,
          source_name: str = "sources/src-0.txt") -> Path:
    doc = Doc("Transcript 01", TEXT, [Sel("The team agreed what the role is for.", ["c-role"])])
    xml = project_xml([doc]).replace('plainTextPath="internal://src-0.txt"',
                                     f'plainTextPath="{plain_text_path}"')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", xml.encode("utf-8"))
        zf.writestr(source_name, TEXT.encode("utf-8") if source is None else source)
    return path


@pytest.fixture
def secret(tmp_path):
    """A file outside the export's folder that a crafted export tries to read."""
    path = tmp_path / "SECRET.txt"
    path.write_text(SECRET, encoding="utf-8")
    (tmp_path / "export").mkdir()
    return path


@pytest.mark.parametrize("ref", [
    "relative://../SECRET.txt",
    "relative://../../{parent}/SECRET.txt",
    "relative:///{secret}",
    "absolute://{secret}",
    "absolute:///{secret}",
    "file://{secret}",
    "FILE://{secret}",
])
def test_sources_outside_the_archive_are_refused(secret, ref):
    ref = ref.format(secret=secret.as_posix().lstrip("/"), parent=secret.parent.name)
    path = _qdpx(secret.parent / "export" / "p.qdpx", ref)
    with pytest.raises(QDAError) as info:
        read_qdpx(path)
    message = str(info.value)
    assert "TextSource" in message and "Transcript 01" in message  # the selection's source
    assert "SECRET-CONTENT" not in message


def test_relative_source_inside_the_export_folder_is_read(tmp_path):
    folder = tmp_path / "export"
    (folder / "texts").mkdir(parents=True)
    (folder / "texts" / "t1.txt").write_text(TEXT, encoding="utf-8")
    path = _qdpx(folder / "p.qdpx", "relative://texts/../texts/t1.txt")
    got = read_qdpx(path).segments
    assert got["text"].tolist() == ["The team agreed what the role is for."]


def test_import_codes_never_puts_an_outside_file_in_the_outputs(secret, monkeypatch, capsys):
    project = secret.parent / "project"
    (project / "data" / "raw").mkdir(parents=True)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(project))
    monkeypatch.setenv("PEERLIB_KEY", "refi-test-key-0123456789")
    path = _qdpx(project / "data" / "raw" / "p.qdpx", f"absolute://{secret}")
    assert main(["import-codes", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "absolute://" in err and "Transcript 01" in err
    assert not (project / "data" / "processed" / "coded_segments.csv").exists()


# ------------------------------------------------------------------ limits (fast versions)
def test_source_over_the_limit_is_refused_with_how_to_raise_it(tmp_path, monkeypatch):
    big = (TEXT + "\n" + "x" * 3000).encode("utf-8")
    path = _qdpx(tmp_path / "p.qdpx", "internal://src-0.txt", source=big)
    monkeypatch.setenv("PEERLIB_MAX_SOURCE", "0.002")  # 2,000 bytes
    with pytest.raises(LimitError, match="PEERLIB_MAX_SOURCE") as info:
        read_qdpx(path)
    assert "--limit source=" in str(info.value) and "p.qdpx" in str(info.value)
    monkeypatch.setenv("PEERLIB_MAX_SOURCE", "1")
    assert len(read_qdpx(path).segments) == 1


def test_zip_bomb_ratio_is_refused_before_it_is_unpacked(tmp_path):
    bomb = TEXT.encode("utf-8") + b" " * 3_000_000  # 3 MB of spaces: about 3 KB compressed
    path = _qdpx(tmp_path / "p.qdpx", "internal://src-0.txt", source=bomb)
    with pytest.raises(LimitError, match="ratio"):
        read_qdpx(path)


def test_xml_over_the_limit_is_refused(tmp_path, monkeypatch):
    path = _qdpx(tmp_path / "p.qdpx", "internal://src-0.txt")
    monkeypatch.setenv("PEERLIB_MAX_XML", "0.0005")
    with pytest.raises(LimitError, match="project.qde"):
        read_qdpx(path)


def test_cli_limit_option_raises_a_limit(tmp_path, monkeypatch, capsys):
    (tmp_path / "data" / "raw").mkdir(parents=True)
    monkeypatch.setenv("PEERLIB_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("PEERLIB_KEY", "refi-test-key-0123456789")
    monkeypatch.setenv("PEERLIB_MAX_SOURCE", "0.001")
    path = _qdpx(tmp_path / "data" / "raw" / "p.qdpx", "internal://src-0.txt",
                 source=(TEXT + "y" * 2000).encode())
    assert main(["import-codes", str(path)]) == 1
    assert "more than the limit" in capsys.readouterr().err
    assert main(["--limit", "source=1", "import-codes", str(path)]) == 0
    assert main(["--limit", "nonsense=1", "import-codes", str(path)]) == 2
    assert "unknown limit" in capsys.readouterr().err
