"""A bundle zip and the YAML inside it are measured before they cost anything: a zip bomb is
refused from its central directory with nothing extracted, a billion-laughs config before
OmegaConf builds a node."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from medbench.errors import MedbenchError
from medbench.outside_yaml import MAX_YAML_BYTES, read_outside_config
from medbench.records.record import read_config
from medbench.transfer.bundle import MAX_ZIP_MEMBERS, _unzip

BOMB_BYTES = 64 << 20  # 64 MiB of zeros deflate to about 64 KB
# Nine levels of ten references: about 330 bytes that name a billion strings.
BILLION_LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("model.pt", "w", force_zip64=True) as member:
            for _ in range(BOMB_BYTES >> 20):
                member.write(bytes(1 << 20))
    return path


@pytest.fixture
def into(tmp_path: Path) -> Path:
    folder = tmp_path / "extracted"
    folder.mkdir()
    return folder


def test_a_zip_bomb_is_refused_from_its_central_directory_with_nothing_extracted(tmp_path: Path, into: Path) -> None:
    bomb = _bomb(tmp_path / "bundle.zip")
    assert bomb.stat().st_size < BOMB_BYTES / 500
    with pytest.raises(MedbenchError, match="MAX_ZIP_RATIO=100 .*zip bomb.*nothing extracted"):
        _unzip(bomb, into)
    assert list(into.iterdir()) == []


def test_reproduce_refuses_a_zip_bomb_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    from medbench.cli import main

    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path))
    bomb = _bomb(tmp_path / "bundle.zip")
    assert main(["reproduce", str(bomb)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "MAX_ZIP_RATIO" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("members", "limit"),
    [
        ({f"f{i}.txt": b"x" for i in range(MAX_ZIP_MEMBERS + 1)}, "MAX_ZIP_MEMBERS"),
        ({"../config.yaml": b"x"}, "not a plain name"),
        ({"sub/config.yaml": b"x"}, "not a plain name"),
        ({"/etc/passwd": b"x"}, "not a plain name"),
    ],
)
def test_zip_members_are_counted_and_named_before_extraction(tmp_path: Path, into: Path, members: dict, limit: str) -> None:
    with pytest.raises(MedbenchError, match=limit):
        _unzip(_zip(tmp_path / "bundle.zip", {"metadata.json": b"{}", **members}), into)
    assert list(into.iterdir()) == []


def test_a_member_named_twice_is_refused(tmp_path: Path, into: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        _zip(archive, {"config.yaml": b"a: 1"})
        with zipfile.ZipFile(archive, "a") as again:
            again.writestr("config.yaml", b"a: 2")
    with pytest.raises(MedbenchError, match="appears twice"):
        _unzip(archive, into)
    assert list(into.iterdir()) == []


def test_a_member_that_understates_its_size_never_writes_past_it(tmp_path: Path, into: Path) -> None:
    """A central directory that declares 1,000 bytes for 64 MiB: extraction stops at 1,000 and fails."""
    archive = _bomb(tmp_path / "bundle.zip")
    data = bytearray(archive.read_bytes())
    entry = data.rindex(b"PK\x01\x02")
    data[entry + 24 : entry + 28] = (1000).to_bytes(4, "little")  # the uncompressed size field
    archive.write_bytes(bytes(data))
    with pytest.raises(MedbenchError, match="refused"):
        _unzip(archive, into)
    assert sum(p.stat().st_size for p in into.iterdir()) <= 1000


def test_yaml_aliases_are_refused_before_omegaconf_builds_anything(tmp_path: Path, monkeypatch) -> None:
    from omegaconf import OmegaConf

    (tmp_path / "config.yaml").write_text(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 400
    built = []
    monkeypatch.setattr(OmegaConf, "create", lambda *args, **kwargs: built.append(args))
    with pytest.raises(MedbenchError, match="anchors and aliases are refused"):
        read_config(tmp_path)
    assert built == []


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("a: " + "[" * 40 + "]" * 40 + "\n", "MAX_YAML_DEPTH"),
        ("".join(f"k{i}: {i}\n" for i in range(20_001)), "MAX_YAML_NODES"),
        ("a: '" + "x" * MAX_YAML_BYTES + "'\n", "MAX_YAML_BYTES"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "anchors and aliases"),
    ],
)
def test_outside_yaml_is_bounded(tmp_path: Path, text: str, limit: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(MedbenchError, match=limit):
        read_outside_config(path, "bundle config")


def test_plain_yaml_reads_as_omegaconf_reads_it(tmp_path: Path) -> None:
    from omegaconf import OmegaConf

    path = tmp_path / "config.yaml"
    path.write_text("lr: 1e-3\nname: x\nitems: [1, 2]\n")
    assert read_outside_config(path, "bundle config") == OmegaConf.load(path)


def test_a_duplicate_key_is_one_clear_refusal(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("seed: 1\nseed: 2\n")
    with pytest.raises(MedbenchError, match="not a valid config"):
        read_outside_config(path, "bundle config")
