"""The granule files' GetObject and HeadObject are answered from disk, as S3 answers them (ranges,
416, conditional requests, headers), through s3fs, boto3 and presigned URLs, without moto copying
the object; listings stay moto's, with the files' keys, sizes and ETags.

The module starts its own instance: moto's store is per process, and an instance started by an
earlier module (the real catalog's) may have registered other files under the same keys.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import h5py
import numpy as np
import pytest
import s3fs
import urllib3
from sandbox_http import nsidc_credentials, s3_client
from werkzeug.test import Client
from werkzeug.wrappers import Response

from sandbox.catalog.locations import ServedFile
from sandbox.granules.model import Granule
from sandbox.s3objects import PIECE, FileObjects
from sandbox.service import Sandbox


@pytest.fixture(scope="module")
def sandbox(granules: list[Granule], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A us-west-2 instance whose files are the ones moto has registered last."""
    started = Sandbox(
        "us-west-2", port_base=0, cache_dir=tmp_path_factory.mktemp("cache"), granules=granules
    ).start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def credentials(sandbox: Sandbox) -> dict[str, str]:
    return nsidc_credentials(sandbox)


@pytest.fixture(scope="module")
def granule(sandbox: Sandbox) -> ServedFile:
    """An ATL03 file in NSIDC's protected bucket."""
    assert sandbox.catalog is not None
    return next(
        o
        for o in sandbox.catalog.s3_objects()
        if o.s3_bucket == "nsidc-cumulus-prod-protected" and o.name.startswith("ATL03_")
    )


@pytest.fixture(scope="module")
def data(granule: ServedFile) -> bytes:
    assert isinstance(granule.source, Path)
    return granule.source.read_bytes()


@pytest.fixture
def fs(sandbox: Sandbox, credentials: dict[str, str]) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(
        key=credentials["accessKeyId"],
        secret=credentials["secretAccessKey"],
        token=credentials["sessionToken"],
        endpoint_url=sandbox.env()["AWS_ENDPOINT_URL_S3"],
        client_kwargs={"region_name": "us-west-2"},
        skip_instance_cache=True,
        use_listings_cache=False,
    )


@pytest.fixture
def s3(sandbox: Sandbox, credentials: dict[str, str]) -> Any:
    return s3_client(sandbox, credentials)


def _path(served: ServedFile) -> str:
    return f"{served.s3_bucket}/{served.s3_key}"


def _presigned(s3: Any, served: ServedFile) -> str:
    return s3.generate_presigned_url(
        "get_object", Params={"Bucket": served.s3_bucket, "Key": served.s3_key}
    )


def _get(url: str, **headers: str) -> urllib3.BaseHTTPResponse:
    return urllib3.request("GET", url, headers=headers, retries=False)


def _code(body: bytes) -> str:
    match = re.search(rb"<Code>(\w+)</Code>", body)
    return match.group(1).decode() if match else ""


def test_ranged_reads_through_s3fs_are_the_file_s_bytes(
    fs: s3fs.S3FileSystem, granule: ServedFile, data: bytes
) -> None:
    size = len(data)
    path = _path(granule)
    assert fs.cat_file(path, start=1000, end=5000) == data[1000:5000]  # bytes=1000-4999
    assert fs.cat_file(path, start=0, end=1) == data[:1]
    assert fs.cat_file(path, start=size - 1, end=size) == data[-1:]
    assert fs.cat_file(path, start=size - 700) == data[-700:]  # bytes=<size-700>-
    assert fs.cat_file(path, start=-300) == data[-300:]  # bytes=-300
    assert fs.cat_file(path) == data
    # open() sends If-Match with the ETag of its HEAD on every read
    with fs.open(path, "rb", cache_type="none") as f:
        f.seek(size // 2)
        assert f.read(4096) == data[size // 2 : size // 2 + 4096]


def test_ranged_reads_through_a_presigned_url_are_the_file_s_bytes(
    s3: Any, granule: ServedFile, data: bytes
) -> None:
    size = len(data)
    url = _presigned(s3, granule)
    cases = {
        "bytes=1000-4999": (1000, 5000),
        "bytes=0-0": (0, 1),
        f"bytes={size - 1}-{size - 1}": (size - 1, size),
        f"bytes={size - 700}-": (size - 700, size),
        "bytes=-300": (size - 300, size),
        f"bytes=10-{size + 1000}": (10, size),  # an end past the object is clamped
    }
    for header, (start, stop) in cases.items():
        response = _get(url, Range=header)
        assert response.status == 206, header
        assert response.data == data[start:stop], header
        assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{size}"
        assert response.headers["Content-Length"] == str(stop - start)
        assert response.headers["ETag"] == f'"{granule.md5}"'
    whole = _get(url)
    assert whole.status == 200 and whole.data == data
    assert "Content-Range" not in whole.headers
    assert whole.headers["Content-Type"] == "binary/octet-stream"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert re.fullmatch(r"[0-9A-F]{16}", whole.headers["x-amz-request-id"])
    several = _get(url, Range="bytes=0-9,20-29")  # S3 answers several ranges with the object
    assert several.status == 200 and several.data == data


def test_head_gives_the_size_etag_and_last_modified_of_the_listing(
    s3: Any, granule: ServedFile, data: bytes
) -> None:
    head = s3.head_object(Bucket=granule.s3_bucket, Key=granule.s3_key)
    assert head["ContentLength"] == len(data) == granule.size
    assert head["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert head["ContentType"] == "binary/octet-stream"
    assert head["AcceptRanges"] == "bytes"
    listed = s3.list_objects_v2(Bucket=granule.s3_bucket, Prefix=granule.s3_key)["Contents"]
    assert [(o["Key"], o["LastModified"]) for o in listed] == [
        (granule.s3_key, head["LastModified"])
    ]
    ranged = s3.head_object(Bucket=granule.s3_bucket, Key=granule.s3_key, Range="bytes=-10")
    assert ranged["ContentLength"] == 10
    assert ranged["ContentRange"] == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"


def test_a_range_past_the_end_is_invalid_range_416(
    s3: Any, granule: ServedFile, data: bytes
) -> None:
    url = _presigned(s3, granule)
    response = _get(url, Range=f"bytes={len(data)}-")
    assert response.status == 416
    assert _code(response.data) == "InvalidRange"
    assert response.headers["Content-Type"] == "application/xml"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        s3.get_object(Bucket=granule.s3_bucket, Key=granule.s3_key, Range=f"bytes={len(data) + 5}-")
    assert caught.value.response["Error"]["Code"] == "InvalidRange"


def test_conditional_requests_follow_s3(s3: Any, granule: ServedFile, data: bytes) -> None:
    url = _presigned(s3, granule)
    etag = f'"{granule.md5}"'
    matching = _get(url, Range="bytes=0-3", **{"If-Match": etag})
    assert matching.status == 206 and matching.data == data[:4]
    mismatched = _get(url, Range="bytes=0-3", **{"If-Match": '"0123456789abcdef"'})
    assert mismatched.status == 412 and _code(mismatched.data) == "PreconditionFailed"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        s3.get_object(Bucket=granule.s3_bucket, Key=granule.s3_key, IfMatch='"not-it"')
    assert caught.value.response["Error"]["Code"] == "PreconditionFailed"
    not_modified = _get(url, **{"If-None-Match": etag})
    assert not_modified.status == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    assert _get(url, **{"If-None-Match": '"other"'}).status == 200
    modified = s3.head_object(Bucket=granule.s3_bucket, Key=granule.s3_key)["LastModified"]
    since = modified.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert _get(url, **{"If-Modified-Since": since}).status == 304
    assert _get(url, **{"If-Unmodified-Since": since}).status == 200
    # If-Match holding wins over If-Unmodified-Since failing, as on S3
    early = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert _get(url, **{"If-Unmodified-Since": early}).status == 412
    assert _get(url, **{"If-Match": etag, "If-Unmodified-Since": early}).status == 200


def test_h5py_reads_a_granule_over_s3fs(fs: s3fs.S3FileSystem, granule: ServedFile) -> None:
    with fs.open(_path(granule), "rb") as f, h5py.File(f, "r") as h5:
        assert h5.attrs["title"] == granule.name
        heights = h5["gt1l/heights/h_ph"][:]
    assert np.array_equal(heights, np.arange(5000, dtype="f4"))


@pytest.fixture
def moto_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """What moto's S3 backend does for object reads: ("lookup", key) for each GetObject or
    HeadObject lookup, ("copy", key) for each copy of a whole object's body."""
    from moto.s3.models import FakeKey, S3Backend

    seen: list[tuple[str, str]] = []
    for name in ("get_object", "head_object"):
        original = getattr(S3Backend, name)

        def lookup(self: Any, bucket: str, key: str, *args: Any, _o: Any = original, **kw: Any):
            seen.append(("lookup", key))
            return _o(self, bucket, key, *args, **kw)

        monkeypatch.setattr(S3Backend, name, lookup)
    body = FakeKey.value

    def copy(key: Any) -> bytes:
        seen.append(("copy", key.name))
        return body.fget(key)

    monkeypatch.setattr(FakeKey, "value", property(copy, body.fset))
    yield seen


def test_object_reads_do_not_go_through_moto(
    fs: s3fs.S3FileSystem,
    s3: Any,
    granule: ServedFile,
    data: bytes,
    moto_reads: list[tuple[str, str]],
) -> None:
    url = _presigned(s3, granule)
    for start in range(0, len(data) - 100, len(data) // 20):
        expected = data[start : start + 100]
        assert _get(url, Range=f"bytes={start}-{start + 99}").data == expected
        assert fs.cat_file(_path(granule), start=start, end=start + 100) == expected
    assert s3.head_object(Bucket=granule.s3_bucket, Key=granule.s3_key)["ContentLength"]
    with fs.open(_path(granule), "rb") as f:
        assert f.read() == data
    assert moto_reads == []
    # A request with a sub-resource parameter is left to moto, which reads the file it was given
    part = s3.get_object(Bucket=granule.s3_bucket, Key=granule.s3_key, PartNumber=1)
    assert part["Body"].read() == data
    assert set(moto_reads) == {("lookup", granule.s3_key), ("copy", granule.s3_key)}


def test_listings_have_the_files_keys_sizes_and_etags(sandbox: Sandbox, s3: Any) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    assert sandbox.catalog is not None
    objects = sandbox.catalog.s3_locations()
    bucket = "nsidc-cumulus-prod-protected"
    expected = {key: (o.size, f'"{o.md5}"') for (b, key), o in objects.items() if b == bucket}
    assert len(expected) > 3
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    v2 = {o["Key"]: (o["Size"], o["ETag"]) for p in pages for o in p["Contents"]}
    v1 = {o["Key"]: (o["Size"], o["ETag"]) for o in s3.list_objects(Bucket=bucket)["Contents"]}
    # (other instances of this process may have registered more keys: moto's store is shared)
    assert {key: v2[key] for key in expected} == expected
    assert {key: v1[key] for key in expected} == expected
    # ... and moto holds the files themselves, not copies of them
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for (bucket, key), served in objects.items():
        if isinstance(served.source, Path):
            stored = backend.get_object(bucket, key)
            assert stored._value_buffer.name == str(served.source)


def test_files_stream_in_pieces_and_other_requests_go_to_the_wrapped_app(tmp_path: Path) -> None:
    """FileObjects on its own: a file of a few pieces streams whole and in ranges across piece
    boundaries; bytes objects, sub-resources, unknown keys and writes reach the inner app."""
    path = tmp_path / "big.h5"
    path.write_bytes(np.random.default_rng(1).bytes(2 * PIECE + 12345))
    data = path.read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    on_disk = ServedFile("big.h5", "h", "/b/big.h5", "b", "big.h5", True, path, len(data), md5)
    companion = ServedFile(
        "big.h5.md5", "h", "/b/big.h5.md5", "b", "big.h5.md5", False, b"x", 1, ""
    )
    inner_calls: list[str] = []

    def inner(environ: Any, start_response: Any) -> Any:
        inner_calls.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return Response("moto")(environ, start_response)

    objects = {("b", "big.h5"): on_disk, ("b", "big.h5.md5"): companion}
    client = Client(FileObjects(inner, objects))
    whole = client.get("/b/big.h5")
    assert whole.status_code == 200 and whole.get_data() == data
    span = client.get("/b/big.h5", headers={"Range": f"bytes={PIECE - 10}-{2 * PIECE + 9}"})
    assert span.status_code == 206 and span.get_data() == data[PIECE - 10 : 2 * PIECE + 10]
    head = client.head("/b/big.h5")
    assert head.headers["Content-Length"] == str(len(data)) and head.get_data() == b""
    assert inner_calls == []
    for method, url in [
        ("GET", "/b/big.h5.md5"),
        ("GET", "/b/big.h5?tagging"),
        ("GET", "/b/big.h5?partNumber=1"),
        ("GET", "/b/nothing.h5"),
        ("GET", "/b"),
        ("PUT", "/b/big.h5"),
    ]:
        assert client.open(url, method=method).get_data() == b"moto", url
    assert len(inner_calls) == 6
