"""helpers.s3: DAAC checks, S3 file systems and open_granule, earthaccess faked (no network)."""

from __future__ import annotations

import io
import json
import types
from pathlib import Path

import earthaccess
import pytest
import s3fs
from earthaccess import DataGranule

from helpers.errors import (
    EmptySearchResultError,
    GranuleOpenError,
    NotLoggedInError,
    S3CredentialsError,
    UnknownDAACError,
)
from helpers.s3 import (
    HDF5_BLOCK_SIZE,
    HDF5_OPEN_KWARGS,
    known_daacs,
    open_granule,
    s3_filesystem,
)

UMM = Path(__file__).parent / "data" / "helpers" / "atl03_umm.json"


def test_read_settings_are_an_8_mib_block_cache() -> None:
    assert dict(HDF5_OPEN_KWARGS) == {"cache_type": "blockcache", "block_size": 8 * 1024 * 1024}
    assert HDF5_BLOCK_SIZE == 8388608
    with pytest.raises(TypeError):
        HDF5_OPEN_KWARGS["block_size"] = 1  # type: ignore[index]


def test_known_daacs_come_from_earthaccess() -> None:
    daacs = known_daacs()
    assert daacs["NSIDC"] == ["NSIDC_CPRD"]
    assert daacs["PODAAC"] == ["POCLOUD"]
    assert len(daacs) == len(earthaccess.daac.DAACS)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"daac": "NSIDK"}, r"Unknown DAAC 'NSIDK'\. earthaccess knows: .*NSIDC.*PODAAC"),
        ({"provider": "NSIDC_ECS"}, r"Unknown cloud provider 'NSIDC_ECS'.*NSIDC_CPRD.*POCLOUD"),
        ({"daac": "SEDAC"}, "no cloud \\(S3\\) provider"),
    ],
)
def test_unknown_daac_or_provider(kwargs, match) -> None:
    with pytest.raises(UnknownDAACError, match=match) as info:
        s3_filesystem(**kwargs)
    assert isinstance(info.value, ValueError) and isinstance(info.value, LookupError)


def test_without_earthaccess_daac_table_the_check_is_skipped(monkeypatch, logged_in) -> None:
    monkeypatch.delattr(earthaccess.daac, "DAACS")
    assert known_daacs() == {}
    s3_filesystem(daac="SOMEDAAC")  # earthaccess decides
    assert logged_in.calls == [("get_s3_filesystem", "SOMEDAAC", None)]


def test_nothing_named() -> None:
    with pytest.raises(ValueError, match="Name a DAAC"):
        s3_filesystem()


@pytest.fixture
def not_logged_in(monkeypatch) -> None:
    monkeypatch.setattr(earthaccess, "__store__", None, raising=False)
    monkeypatch.setattr(
        earthaccess, "__auth__", types.SimpleNamespace(authenticated=False), raising=False
    )


def test_not_logged_in(not_logged_in) -> None:
    with pytest.raises(NotLoggedInError, match=r"helpers\.login\(\)"):
        s3_filesystem(daac="NSIDC")
    with pytest.raises(NotLoggedInError):
        open_granule("s3://bucket/key.h5", provider="NSIDC_CPRD")


@pytest.fixture
def logged_in(monkeypatch):
    state = types.SimpleNamespace(in_region=True, calls=[], files=None, error=None)
    monkeypatch.setattr(
        earthaccess, "__auth__", types.SimpleNamespace(authenticated=True), raising=False
    )
    monkeypatch.setattr(earthaccess, "__store__", state, raising=False)

    def fake_get_s3_filesystem(daac=None, provider=None, results=None, endpoint=None):
        state.calls.append(("get_s3_filesystem", daac, provider))
        if state.error is not None:
            raise state.error
        return s3fs.S3FileSystem(key="AKIAFAKE", secret="fake-secret", token="fake-token")

    def fake_open(granules, provider=None, **kwargs):
        state.calls.append(("open", granules, provider, kwargs))
        if state.error is not None:
            raise state.error
        return [io.BytesIO(b"granule bytes")] if state.files is None else state.files

    monkeypatch.setattr(earthaccess, "get_s3_filesystem", fake_get_s3_filesystem)
    monkeypatch.setattr(earthaccess, "open", fake_open)
    return state


def test_s3_filesystem_has_hdf5_read_defaults(logged_in) -> None:
    fs = s3_filesystem(daac="NSIDC")
    assert logged_in.calls == [("get_s3_filesystem", "NSIDC", None)]
    assert isinstance(fs, s3fs.S3FileSystem)
    assert fs.default_block_size == HDF5_BLOCK_SIZE
    assert fs.default_cache_type == "blockcache"
    assert fs.storage_options["key"] == "AKIAFAKE"
    assert "fake-secret" not in repr(fs)
    # earthaccess's own (cached) instance keeps s3fs' defaults.
    original = s3fs.S3FileSystem(key="AKIAFAKE", secret="fake-secret", token="fake-token")
    assert original.default_cache_type == "readahead"


def test_s3_filesystem_by_provider_any_case(logged_in) -> None:
    s3_filesystem(provider="pocloud")
    assert logged_in.calls == [("get_s3_filesystem", None, "pocloud")]


def test_s3_filesystem_out_of_region_warns(logged_in) -> None:
    logged_in.in_region = False
    with pytest.warns(UserWarning, match="not in AWS us-west-2"):
        s3_filesystem(daac="PODAAC")


def test_s3_filesystem_without_credentials(logged_in) -> None:
    logged_in.error = KeyError("accessKeyId")
    with pytest.raises(S3CredentialsError, match="No S3 credentials from NSIDC.*EULA"):
        s3_filesystem(daac="NSIDC")


def _granule() -> DataGranule:
    item = json.loads(UMM.read_text())["items"][0]
    return DataGranule(item, cloud_hosted=True)


def test_open_granule_passes_the_read_settings(logged_in) -> None:
    granule = _granule()
    f = open_granule(granule)
    assert f.read() == b"granule bytes"
    (name, granules, provider, kwargs), *_ = logged_in.calls
    assert name == "open" and granules == [granule] and provider is None
    assert kwargs["open_kwargs"] == {"cache_type": "blockcache", "block_size": 8 * 1024 * 1024}
    assert kwargs["show_progress"] is False


def test_open_granule_accepts_a_one_item_list_and_overrides(logged_in) -> None:
    granule = _granule()
    open_granule([granule], open_kwargs={"block_size": 4 * 1024 * 1024})
    kwargs = logged_in.calls[0][3]
    assert kwargs["open_kwargs"] == {"cache_type": "blockcache", "block_size": 4 * 1024 * 1024}


def test_open_granule_url(logged_in) -> None:
    open_granule("s3://nsidc-cumulus-prod-protected/x.h5", provider="NSIDC_CPRD")
    assert logged_in.calls[0][1:3] == (["s3://nsidc-cumulus-prod-protected/x.h5"], "NSIDC_CPRD")


def test_open_granule_argument_errors(logged_in) -> None:
    with pytest.raises(EmptySearchResultError, match="search results are empty"):
        open_granule([])
    with pytest.raises(ValueError, match="opens one granule; got 2.*results\\[0\\]"):
        open_granule([_granule(), _granule()])
    with pytest.raises(TypeError, match="DataGranule"):
        open_granule(42)
    assert logged_in.calls == []


def test_open_granule_s3_failure_is_short(logged_in) -> None:
    try:
        raise PermissionError("Access Denied")
    except PermissionError as cause:
        error = RuntimeError("An exception occurred ... Traceback (most recent call last): ...")
        error.__cause__ = cause
    logged_in.error = error
    with pytest.raises(GranuleOpenError) as info:
        open_granule(_granule())
    message = str(info.value)
    assert "ATL03_20221012161617_03351705_005_01.h5" in message
    assert "PermissionError: Access Denied" in message and "us-west-2" in message
    assert "Traceback" not in message


def test_open_granule_nothing_opened(logged_in) -> None:
    logged_in.files = []
    with pytest.raises(GranuleOpenError, match="opened nothing"):
        open_granule(_granule())
