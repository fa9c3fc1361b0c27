"""The per-release data: its format round-trips, wheel groups answer "does a wheel serve this
Python and platform" as pip's tags would, the shipped file covers the ML stack, and a model's pins
are matched to releases the way pip matches them."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from modellint.analyzer.environment.pinned_releases import excludes_python, nearest_release, pinned_releases
from modellint.analyzer.environment.requirements import parse_requirements_text
from modellint.analyzer.environment.serving_platform import ServingPlatform
from modellint.analyzer.knowledge.releases import (
    FORMAT,
    ReleaseData,
    WheelGroup,
    encode_file,
    parse_release,
    release_data,
)

LINUX_311 = ServingPlatform((3, 11, 7))


def test_encode_groups_pythons_that_share_platforms():
    files = encode_file(True, {"310": "ALMWX", "311": "ALMWX", "a38": "L", "p3": "N"})
    assert files == "s 310,311:ALMWX a38:L p3:N"
    release = parse_release(f"1.0\t{files}\t>=3.8\t")
    assert release.sdist and release.has_files and not release.yanked
    assert release.wheels[0] == WheelGroup(("310", "311"), "ALMWX")


def test_release_without_files_and_yanked_release():
    assert not parse_release("0.1\t-\t\t").has_files
    yanked = parse_release("2.0\ts\t\t!broken metadata")
    assert yanked.yanked and yanked.yank_reason == "broken metadata"
    assert parse_release("2.1\ts\t\t!").yanked


@pytest.mark.parametrize(("group", "python", "platform", "serves"), [
    (WheelGroup(("311",), "L"), (3, 11), "L", True),
    (WheelGroup(("311",), "L"), (3, 12), "L", False),  # a cp311 ABI wheel is for 3.11 only
    (WheelGroup(("311",), "AX"), (3, 11), "L", False),
    (WheelGroup(("a38",), "L"), (3, 12), "L", True),  # the stable ABI serves later Pythons
    (WheelGroup(("a38",), "L"), (3, 7), "L", False),
    (WheelGroup(("p3",), "N"), (3, 13), "l", True),
    (WheelGroup(("p2",), "N"), (3, 11), "L", False),
    (WheelGroup(("39", "310"), "N"), (3, 10), "W", True),  # cp310-none-any
])
def test_wheel_group_serves(group, python, platform, serves):
    assert group.serves(python, platform) is serves


def test_requires_python_without_patch_release_excludes_only_when_every_patch_does():
    release = parse_release("1.0\ts\t>=3.10.1\t")
    assert not excludes_python(release, ServingPlatform((3, 10)))
    assert excludes_python(release, ServingPlatform((3, 10, 0)))
    assert excludes_python(release, ServingPlatform((3, 9)))
    assert not excludes_python(parse_release("1.0\ts\t>=3.6.*\t"), ServingPlatform((3, 5)))  # unreadable: ignored


def _write_data(path: Path, blocks: dict[str, str]) -> None:
    index, data = "", b""
    for name in sorted(blocks):
        block = zlib.compress(blocks[name].encode())
        index += f"{name}\t{len(data)}\t{len(block)}\n"
        data += block
    header = {"format": FORMAT, "snapshot_date": "2026-01-02", "index_bytes": len(index.encode())}
    path.write_bytes(json.dumps(header).encode() + b"\n" + index.encode() + data)


def test_data_file_is_read_per_distribution(tmp_path):
    path = tmp_path / "releases.dat"
    _write_data(path, {"alpha": "1.0\ts p3:N\t\t\n1.1\ts\t\t", "beta": "0.1\ts 311:L\t>=3.11\t"})
    data = ReleaseData(path)
    assert "beta" in data and "gamma" not in data and data.get("gamma") is None
    beta = data.get("beta")
    assert beta is not None and beta.compiled and beta.snapshot_date == "2026-01-02"
    alpha = data.get("alpha")
    assert alpha is not None and [r.version for r in alpha.releases] == ["1.0", "1.1"] and not alpha.compiled


def test_shipped_data_covers_the_ml_stack():
    data = release_data()
    assert data.header["distributions"] >= 1000 and data.snapshot_date
    for name in ("mlflow", "numpy", "pandas", "scikit-learn", "torch", "tensorflow", "transformers", "cloudpickle"):
        assert name in data, name
    numpy = data.get("numpy")
    assert numpy is not None and numpy.compiled
    by_version = {release.version: release for release in numpy.releases}
    assert by_version["1.26.4"].has_wheel_for(LINUX_311)
    assert not by_version["1.19.0"].has_wheel_for(LINUX_311) and by_version["1.19.0"].sdist
    nearest = nearest_release(numpy, by_version["1.19.0"], lambda r: r.has_wheel_for(LINUX_311))
    assert nearest is not None and nearest.version == "1.23.2"
    assert nearest_release(numpy, by_version["1.26.4"], lambda r: r.version.startswith("1.25")) == by_version["1.25.2"]


def _pins(text: str, target: ServingPlatform | None = LINUX_311):
    requirements = parse_requirements_text(text, Path("requirements.txt"))
    return list(pinned_releases(iter([requirements]), target))


def test_pins_are_matched_as_pip_matches_them():
    found = {pin.line.text: pin for pin in _pins(
        "numpy==1.26.4\nnumpy==1.26.4.0\ncloudpickle==2.5.8\ncloudpickle==99.0\nnumpy==1.26.*\nnumpy==1.2.*\n"
        "torch==2.5.1+cpu\nnumpy>=1.0\nnot-a-known-distribution-xyz==1.0\n"
        'numpy==1.19.0; sys_platform == "win32"\n')}
    assert found["numpy==1.26.4"].release is not None
    assert found["numpy==1.26.4.0"].release is not None  # PEP 440 zero padding
    assert found["cloudpickle==2.5.8"].release is None and not found["cloudpickle==2.5.8"].newer
    assert found["cloudpickle==99.0"].release is None and found["cloudpickle==99.0"].newer
    assert found["numpy==1.26.*"].prefix and found["numpy==1.26.*"].release is not None
    assert found["numpy==1.2.*"].release is None
    assert set(found) == {"numpy==1.26.4", "numpy==1.26.4.0", "cloudpickle==2.5.8", "cloudpickle==99.0",
                          "numpy==1.26.*", "numpy==1.2.*"}


def test_a_list_naming_another_index_is_not_judged():
    assert _pins("--extra-index-url https://example.org/simple\ncloudpickle==2.5.8\n") == []


def test_a_marker_is_not_judged_without_a_python():
    assert _pins('cloudpickle==2.5.8; python_version >= "3.8"\n', None) == []
    assert len(_pins("cloudpickle==2.5.8\n", None)) == 1


def test_serving_platform_marker_environment():
    environment = ServingPlatform((3, 10), "linux/aarch64").marker_environment()
    assert environment["platform_machine"] == "aarch64" and environment["python_full_version"] == "3.10.0"
    with pytest.raises(ValueError):
        ServingPlatform((3, 10), "solaris/sparc")


def test_releases_from_a_version_are_the_releases_at_or_after_it():
    # The data lists releases in PEP 440 order, unreadable versions first: a bisection over the
    # lines gives what filtering every parsed release would.
    from packaging.version import InvalidVersion, Version

    def parsed(text: str) -> Version | None:
        try:
            return Version(text)
        except InvalidVersion:
            return None

    data = release_data()
    for name in ("mlflow", "numpy", "pillow", "tensorflow", "urllib3", "pytz", "setuptools"):
        releases = data.get(name)
        assert releases is not None
        versions = [parsed(release.version) for release in releases.releases]
        readable = [version for version in versions if version is not None]
        assert readable == sorted(readable), name
        for floor in {readable[0], readable[len(readable) // 2], readable[-1], Version("0"), Version("9999")}:
            expected = [release for release, version in zip(releases.releases, versions, strict=True)
                        if version is not None and version >= floor]
            assert list(releases.releases_from(floor)) == expected, (name, floor)


def test_a_found_release_is_remembered_and_the_memory_is_bounded():
    from modellint.analyzer.knowledge.releases import DistributionReleases

    releases = DistributionReleases("demo", "1.0\ts\t\t\n1.1\ts\t\t", "2025-01-01")
    assert releases.find("1.1") is releases.find("1.1")
    for number in range(5000):
        assert releases.find(f"0.{number}") is None
    assert len(releases._found) <= 4096
    assert releases.find("1.0") is not None and releases.find("2.0") is None


def test_a_wheel_answer_is_remembered_per_release_and_target():
    release = parse_release("1.0\t311:L a38:X\t\t")
    assert release.has_wheel_for(LINUX_311)
    assert not release.has_wheel_for(ServingPlatform((3, 10)))  # cp311 only on Linux
    assert release.has_wheel_for(ServingPlatform((3, 12), "macos/x86_64"))  # the stable ABI
    assert not release.has_wheel_for(ServingPlatform((3, 11), "windows/x86_64"))
    equal = parse_release("1.0\t311:L a38:X\t\t")
    assert equal == release and equal is not release
    assert equal.has_wheel_for(LINUX_311) and not equal.has_wheel_for(ServingPlatform((3, 10)))
    other = parse_release("1.0\t310:L\t\t")  # another release may take a freed id: never its answer
    assert not other.has_wheel_for(LINUX_311) and other.has_wheel_for(ServingPlatform((3, 10)))


def test_a_pin_s_version_and_operator_are_its_own_spelling():
    found = {pin.line.text: pin.pinned for pin in _pins("numpy==1.26.4.0\nnumpy==1.26.4\nnumpy===1.26.4\n")}
    assert found == {"numpy==1.26.4.0": "1.26.4.0", "numpy==1.26.4": "1.26.4", "numpy===1.26.4": "1.26.4"}
    lines = parse_requirements_text("a==1.0\na===1.0\na==1.*\na>=1\na==1,<2\n", Path("requirements.txt")).lines
    assert [line.pinned_version for line in lines] == ["1.0", "1.0", None, None, None]
    assert [line.pinned_with_equality for line in lines] == [True, False, False, False, False]
