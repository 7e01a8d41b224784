"""CMR search against the running sandbox: results equal a brute-force filter of the catalog,
paging visits every hit once, errors are CMR's, and responses look like the recorded real ones."""

from __future__ import annotations

import fnmatch
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sandbox_http import edl_token, ids
from sandbox_shared import load_cassette, load_json
from shapely.geometry import LineString, Point, Polygon, box

from sandbox.catalog.records import GranuleRecord
from sandbox.service import Sandbox

CMR = "https://cmr.earthdata.nasa.gov/search"


# -- the oracle: plain Python and shapely on the Granule fields, not the sandbox's own code ------


def oracle_spatial(
    record: GranuleRecord, west: float, south: float, east: float, north: float
) -> bool:
    footprint = Polygon(record.granule.footprint)
    boxes = (
        [box(west, south, east, north)]
        if west <= east
        else [
            box(west, south, 180, north),
            box(-180, south, east, north),
        ]
    )
    return any(
        footprint.intersects(box(b.bounds[0] + k, b.bounds[1], b.bounds[2] + k, b.bounds[3]))
        for b in boxes
        for k in (-360.0, 0.0, 360.0)
    )


def oracle_temporal(record: GranuleRecord, start: datetime | None, end: datetime | None) -> bool:
    g = record.granule
    return (end is None or g.begin <= end) and (start is None or g.end >= start)


def oracle_name(record: GranuleRecord, pattern: str) -> bool:
    names = (record.granule_ur.lower(), record.producer_granule_id.lower())
    return any(fnmatch.fnmatchcase(n, pattern.lower()) for n in names)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- brute-force comparisons -------------------------------------------------------------------


def test_bounding_boxes_match_brute_force(
    http: requests.Session, records: list[GranuleRecord]
) -> None:
    rng = random.Random(2024)
    boxes = [
        (-134.7, 58.9, -133.9, 59.2),  # Juneau
        (170.0, 55.0, -170.0, 80.0),  # across the antimeridian
        (179.0, 71.0, -179.0, 72.0),  # a thin box on the antimeridian
        (-180.0, 89.0, 180.0, 90.0),  # the pole cap
        (-62.8, 81.7, -56.4, 83.0),  # the ATL07 / MODIS pairing box
        (-10.0, -80.0, 10.0, -60.0),  # nothing there
    ]
    for _ in range(120):
        west, east = rng.uniform(-180, 180), rng.uniform(-180, 180)
        south = rng.uniform(50, 89)
        boxes.append(
            (
                round(west, 2),
                round(south, 2),
                round(east, 2),
                round(min(90, south + rng.uniform(0.5, 20)), 2),
            )
        )
    nonempty = 0
    for west, south, east, north in boxes:
        for short_name in ("ATL03", "ATL07", "MODIS_A-JPL-L2P-v2019.0"):
            params = {
                "short_name": short_name,
                "bounding_box": f"{west},{south},{east},{north}",
                "page_size": 2000,
            }
            got = ids(http.get(f"{CMR}/granules.umm_json", params=params, timeout=30))
            want = {
                r.concept_id
                for r in records
                if r.granule.short_name == short_name
                and oracle_spatial(r, west, south, east, north)
            }
            assert got == want, (short_name, west, south, east, north)
            nonempty += bool(want)
    assert nonempty > 60


def test_points_and_polygons_match_brute_force(
    http: requests.Session, records: list[GranuleRecord]
) -> None:
    rng = random.Random(5)
    for _ in range(60):
        lon, lat = rng.uniform(-180, 180), rng.uniform(55, 90)
        got = ids(
            http.get(
                f"{CMR}/granules.umm_json",
                params={"provider": "POCLOUD", "point": f"{lon},{lat}", "page_size": 2000},
                timeout=30,
            )
        )
        want = {
            r.concept_id
            for r in records
            if r.provider == "POCLOUD"
            and any(
                Polygon(r.granule.footprint).covers(Point(lon + k, lat)) for k in (-360, 0, 360)
            )
        }
        assert got == want
    ring = [(-140.0, 57.0), (-130.0, 57.0), (-135.0, 59.5), (-140.0, 57.0)]
    polygon = ",".join(f"{x},{y}" for x, y in ring)
    got = ids(
        http.get(
            f"{CMR}/granules.umm_json",
            params={"short_name": "ATL03", "polygon": polygon, "page_size": 2000},
            timeout=30,
        )
    )
    want = {
        r.concept_id
        for r in records
        if r.granule.short_name == "ATL03"
        and Polygon(r.granule.footprint).intersects(Polygon(ring))
    }
    assert got == want and want
    line = [(-140.0, 58.5), (-125.0, 59.0), (-110.0, 60.0)]
    got = ids(
        http.get(
            f"{CMR}/granules.umm_json",
            params={
                "short_name": "ATL03",
                "line": ",".join(f"{x},{y}" for x, y in line),
                "page_size": 2000,
            },
            timeout=30,
        )
    )
    want = {
        r.concept_id
        for r in records
        if r.granule.short_name == "ATL03"
        and Polygon(r.granule.footprint).intersects(LineString(line))
    }
    assert got == want and want


def test_temporal_ranges_with_open_ends_match_brute_force(
    http: requests.Session, records: list[GranuleRecord]
) -> None:
    rng = random.Random(99)
    base = datetime(2018, 10, 10, tzinfo=UTC)
    for _ in range(80):
        start = base + timedelta(hours=rng.uniform(0, 24 * 280))
        end = start + timedelta(hours=rng.uniform(0, 24 * 10))
        shape = rng.choice(["closed", "open-start", "open-end", "list"])
        if shape == "open-start":
            start_q, end_q, key, value = None, end, "temporal", f",{_stamp(end)}"
        elif shape == "open-end":
            start_q, end_q, key, value = start, None, "temporal", f"{_stamp(start)},"
        else:
            start_q, end_q = start, end
            key = "temporal[]" if shape == "list" else "temporal"
            value = f"{_stamp(start)},{_stamp(end)}"
        for provider in ("NSIDC_ECS", "NSIDC_CPRD", "POCLOUD"):
            got = ids(
                http.get(
                    f"{CMR}/granules.umm_json",
                    params={"provider": provider, key: value, "page_size": 2000},
                    timeout=30,
                )
            )
            want = {
                r.concept_id
                for r in records
                if r.provider == provider
                and oracle_temporal(
                    r,
                    start_q.replace(microsecond=0) if start_q else None,
                    end_q.replace(microsecond=0) if end_q else None,
                )
            }
            assert got == want, (provider, key, value)
    # earthaccess's form for a day: two temporal[] values OR together
    day = {"provider": "POCLOUD", "page_size": 2000}
    got = ids(
        http.get(
            f"{CMR}/granules.umm_json",
            params=[
                *day.items(),
                ("temporal[]", "2019-06-22T10:00:00Z,2019-06-22T10:09:59Z"),
                ("temporal[]", "2019-06-22T12:00:00Z,2019-06-22T12:30:00Z"),
            ],
            timeout=30,
        )
    )
    want = {
        r.concept_id
        for r in records
        if r.provider == "POCLOUD"
        and (
            oracle_temporal(
                r,
                datetime(2019, 6, 22, 10, tzinfo=UTC),
                datetime(2019, 6, 22, 10, 9, 59, tzinfo=UTC),
            )
            or oracle_temporal(
                r, datetime(2019, 6, 22, 12, tzinfo=UTC), datetime(2019, 6, 22, 12, 30, tzinfo=UTC)
            )
        )
    }
    assert got == want and len(want) > 3


def test_names_with_wildcards_match_brute_force(
    http: requests.Session, records: list[GranuleRecord]
) -> None:
    patterns = [
        "ATL03_2018101*",
        "*_006_02.h5",
        "ATL07-01_20190622??????_*",
        "2019062211*",
        "SC:ATL03.006:*",
        "*MODIS_A-N*",
        "nothing*",
    ]
    for pattern in patterns:
        params = {
            "provider": ["NSIDC_ECS", "NSIDC_CPRD", "POCLOUD"],
            "readable_granule_name[]": pattern,
            "options[readable_granule_name][pattern]": "true",
            "page_size": 2000,
        }
        got = ids(http.get(f"{CMR}/granules.umm_json", params=params, timeout=30))
        assert got == {r.concept_id for r in records if oracle_name(r, pattern)}, pattern
    exact = records[0].producer_granule_id
    got = ids(
        http.get(
            f"{CMR}/granules.umm_json",
            params={"provider": records[0].provider, "readable_granule_name": exact},
            timeout=30,
        )
    )
    assert got == {
        r.concept_id for r in records if r.provider == records[0].provider and oracle_name(r, exact)
    }


def test_concept_ids_filter_by_collection_or_granule(
    http: requests.Session, records: list[GranuleRecord]
) -> None:
    collection = "C2596864127-NSIDC_CPRD"
    got = ids(
        http.get(
            f"{CMR}/granules.umm_json",
            params={"concept_id[]": collection, "page_size": 2000},
            timeout=30,
        )
    )
    assert got == {r.concept_id for r in records if r.collection.concept_id == collection}
    picked = [records[3].concept_id, records[7].concept_id]
    got = ids(http.get(f"{CMR}/granules.umm_json", params={"concept_id[]": picked}, timeout=30))
    assert got == set(picked)
    got = ids(
        http.get(
            f"{CMR}/granules.umm_json",
            params={"collection_concept_id": collection, "short_name": "ATL03", "version": "006"},
            timeout=30,
        )
    )
    assert got == {r.concept_id for r in records if r.collection.concept_id == collection}


def test_day_night_flag_filters(http: requests.Session, records: list[GranuleRecord]) -> None:
    for flag in ("day", "night", "unspecified"):
        got = ids(
            http.get(
                f"{CMR}/granules.umm_json",
                params={"provider": "POCLOUD", "day_night_flag": flag, "page_size": 2000},
                timeout=30,
            )
        )
        assert got == {
            r.concept_id
            for r in records
            if r.provider == "POCLOUD" and r.granule.day_night.lower() == flag
        }


def test_collections_by_cloud_hosted_provider_and_short_name(
    http: requests.Session, sandbox_us: Sandbox
) -> None:
    def collections(**params: Any) -> set[str]:
        return ids(http.get(f"{CMR}/collections.umm_json", params=params, timeout=30))

    assert collections(short_name="ATL03") == {
        "C2559919423-NSIDC_ECS",
        "C2596864127-NSIDC_CPRD",
        "C3326974349-NSIDC_CPRD",
    }
    assert collections(short_name="ATL03", cloud_hosted="true") == {
        "C2596864127-NSIDC_CPRD",
        "C3326974349-NSIDC_CPRD",
    }
    assert collections(short_name="ATL03", cloud_hosted="True") == {
        "C2596864127-NSIDC_CPRD",
        "C3326974349-NSIDC_CPRD",
    }
    assert collections(cloud_hosted="false") == {"C2559919423-NSIDC_ECS", "C2564625052-NSIDC_ECS"}
    assert collections(provider="POCLOUD") == {"C1940473819-POCLOUD"}
    assert collections(short_name="atl07", version="006", provider="NSIDC_CPRD") == {
        "C2713030505-NSIDC_CPRD"
    }
    assert collections(keyword="sea surface temperature") == {"C1940473819-POCLOUD"}
    assert collections(keyword="photon*", has_granules="true") >= {"C2596864127-NSIDC_CPRD"}
    assert collections(doi="10.5067/ATLAS/ATL07.006") == {
        "C2564625052-NSIDC_ECS",
        "C2713030505-NSIDC_CPRD",
    }


def test_sort_keys_order_results(http: requests.Session) -> None:
    params = {"provider": "POCLOUD", "page_size": 2000}
    ascending = http.get(
        f"{CMR}/granules.umm_json", params={**params, "sort_key": "start_date"}, timeout=30
    ).json()["items"]
    descending = http.get(
        f"{CMR}/granules.umm_json", params={**params, "sort_key": "-start_date"}, timeout=30
    ).json()["items"]
    starts = [i["umm"]["TemporalExtent"]["RangeDateTime"]["BeginningDateTime"] for i in ascending]
    assert starts == sorted(starts) and len(starts) > 30
    assert [i["meta"]["concept-id"] for i in descending] == [
        i["meta"]["concept-id"] for i in reversed(ascending)
    ]


# -- paging -------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 7, 36])
def test_search_after_pages_visit_every_hit_once(http: requests.Session, page_size: int) -> None:
    params = {"provider": "POCLOUD", "page_size": page_size}
    everything = ids(
        http.get(f"{CMR}/granules.umm_json", params={**params, "page_size": 2000}, timeout=30)
    )
    seen: list[str] = []
    headers: dict[str, str] = {}
    for _ in range(200):
        response = http.get(f"{CMR}/granules.umm_json", params=params, headers=headers, timeout=30)
        assert response.headers["CMR-Hits"] == str(len(everything))
        items = response.json()["items"]
        seen += [i["meta"]["concept-id"] for i in items]
        if len(items) < page_size:
            assert "CMR-Search-After" not in response.headers or items
            break
        headers["CMR-Search-After"] = response.headers["CMR-Search-After"]
        assert isinstance(json.loads(headers["CMR-Search-After"]), list)
    assert len(seen) == len(set(seen)) == len(everything)
    assert set(seen) == everything


def test_formats_by_extension_or_accept_header(http: requests.Session) -> None:
    params = {"provider": "POCLOUD", "page_size": 1}
    pinned = http.get(f"{CMR}/granules.umm_json_v1_6_6", params=params, timeout=30)
    assert pinned.status_code == 200 and "items" in pinned.json()
    accepted = http.get(
        f"{CMR}/granules", params=params, headers={"Accept": "application/json"}, timeout=30
    )
    assert "feed" in accepted.json()
    # XML references are served (test_cmr_fidelity.py); formats the sandbox lacks are refused
    echo10 = http.get(f"{CMR}/granules.echo10", params=params, timeout=30)
    assert echo10.status_code == 400
    assert "<error>The sandbox's CMR serves the xml (references), json and umm_json" in echo10.text
    concept = http.get(f"{CMR}/concepts/C1940473819-POCLOUD.umm_json", timeout=30).json()
    assert concept["ShortName"] == "MODIS_A-JPL-L2P-v2019.0"
    missing = http.get(f"{CMR}/concepts/C1-NOPE", timeout=30)
    assert missing.status_code == 404


def test_default_page_size_is_ten_and_page_size_zero_gives_hits_only(
    http: requests.Session,
) -> None:
    response = http.get(f"{CMR}/granules.umm_json", params={"provider": "POCLOUD"}, timeout=30)
    assert len(response.json()["items"]) == 10
    hits = http.get(
        f"{CMR}/granules.umm_json", params={"provider": "POCLOUD", "page_size": 0}, timeout=30
    )
    body = hits.json()
    assert body["items"] == [] and body["hits"] == int(hits.headers["CMR-Hits"]) > 10
    assert "CMR-Search-After" not in hits.headers


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"short_name": "ATL03", "bounding_box": "foo"},
            "[foo] is not a valid URL encoded bounding_box",
        ),
        (
            {"short_name": "ATL03", "bounding_box": "-10,46,10,45"},
            "The bounding rectangle north value [45] was less than the south value [46]",
        ),
        (
            # spatial-lib mbr.clj validations + common-lib validations/messages.clj within-range
            {"short_name": "ATL03", "bounding_box": "181,0,182,1"},
            "West must be within [-180.0] and [180.0] but was [181.0].",
        ),
        (
            {"short_name": "ATL03", "temporal": "2010-13-12T12:00:00,"},
            "temporal start datetime is invalid: [2010-13-12T12:00:00] is not a valid datetime.",
        ),
        (
            {"short_name": "ATL03", "temporal": "2011-01-01T10:00:00Z,2010-01-10T12:00:00Z"},
            "start_date [2011-01-01T10:00:00Z] must be before end_date [2010-01-10T12:00:00Z]",
        ),
        ({"short_name": "ATL03", "foo": "bar"}, "Parameter [foo] was not recognized."),
        (
            {"short_name": "ATL03", "page_size": "2001"},
            "page_size must be a number between 0 and 2000",
        ),
        (
            {"short_name": "ATL03", "page_size": "many"},
            "page_size must be a number between 0 and 2000",
        ),
        (
            {"short_name": "ATL03", "sort_key": "colour"},
            "The sort key [colour] is not a valid field for sorting granules.",
        ),
        (
            {"short_name": "ATL03", "has_granules": "true"},
            "Parameter [has_granules] was not recognized.",
        ),
        (
            {"temporal": "2019-01-01T00:00:00Z,"},
            "The CMR does not allow querying across granules in all collections.",
        ),
    ],
)
def test_bad_queries_get_cmr_status_and_message(
    http: requests.Session, params: dict, message: str
) -> None:
    response = http.get(f"{CMR}/granules.umm_json", params=params, timeout=30)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    errors = response.json()["errors"]
    assert any(e.startswith(message) for e in errors), errors


def test_every_problem_is_reported_at_once(http: requests.Session) -> None:
    response = http.get(
        f"{CMR}/collections.json", params={"foo": 1, "bar": 2, "cloud_hosted": "maybe"}, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "Parameter [foo] was not recognized.",
        "Parameter [bar] was not recognized.",
        "Parameter cloud_hosted must take value of true, false, or unset, but was [maybe]",
    ]


def test_invalid_token_gets_401_and_a_valid_one_passes(
    http: requests.Session, sandbox_us: Sandbox
) -> None:
    url = f"{CMR}/collections.umm_json"
    bad = http.get(url, headers={"Authorization": "Bearer not-a-token"}, timeout=30)
    assert bad.status_code == 401 and bad.json() == {"errors": ["Token does not exist"]}
    expired = sandbox_us.tokens.issue_with_lifetime("sandbox_learner", -1.0).access_token
    assert (
        http.get(url, headers={"Authorization": f"Bearer {expired}"}, timeout=30).status_code == 401
    )
    good = http.get(url, headers={"Authorization": f"Bearer {edl_token(sandbox_us)}"}, timeout=30)
    assert good.status_code == 200


# -- like the real responses --------------------------------------------------------------------

_NOT_COMPARED = {
    "connection",
    "transfer-encoding",
    "via",
    "x-amz-cf-id",
    "x-amz-cf-pop",
    "x-cache",
    "content-length",
}


def _cmr_interactions() -> list[dict[str, Any]]:
    return [i for i in load_cassette() if "cmr.earthdata.nasa.gov" in i["request"]["uri"]]


def test_headers_match_the_recorded_cmr_responses(http: requests.Session) -> None:
    hits_page, results_page = _cmr_interactions()
    hits = http.get(
        f"{CMR}/granules.umm_json", params={"provider": "POCLOUD", "page_size": 0}, timeout=30
    )
    page = http.get(
        f"{CMR}/granules.umm_json", params={"provider": "POCLOUD", "page_size": 1}, timeout=30
    )
    for real, ours in ((hits_page, hits), (results_page, page)):
        real_names = {name.lower() for name in real["response"]["headers"]} - _NOT_COMPARED
        assert real_names <= {name.lower() for name in ours.headers}, real_names - set(
            map(str.lower, ours.headers)
        )
        for name, values in real["response"]["headers"].items():
            if name.lower() in ("cmr-hits", "cmr-took"):
                assert ours.headers[name].isdigit()
            if name.lower() == "cmr-search-after":
                real_value, our_value = json.loads(values[0]), json.loads(ours.headers[name])
                assert [type(v) for v in our_value] == [type(v) for v in real_value]
        assert (
            ours.headers["Access-Control-Expose-Headers"]
            == real["response"]["headers"]["Access-Control-Expose-Headers"][0]
        )
    assert page.headers["CMR-Request-Id"] == page.headers["X-Request-Id"]
    assert page.headers["Content-Type"].startswith(
        "application/vnd.nasa.cmr.umm_results+json;version="
    )
    assert json.loads(hits_page["response"]["body"]["string"]).keys() == hits.json().keys()


def _same_shape(real: Any, ours: Any, path: str = "") -> None:
    """Every key of ``real`` is in ``ours`` with a value of the same JSON type, recursively."""
    if isinstance(real, dict):
        assert isinstance(ours, dict), path
        for key, value in real.items():
            assert key in ours, f"{path}/{key} missing"
            _same_shape(value, ours[key], f"{path}/{key}")
    elif isinstance(real, list):
        assert isinstance(ours, list), path
        if real and ours:
            _same_shape(real[0], ours[0], f"{path}[0]")
    elif isinstance(real, bool) or real is None:
        assert type(ours) is type(real), path
    elif isinstance(real, int | float):
        assert isinstance(ours, int | float) and not isinstance(ours, bool), path
    else:
        assert isinstance(ours, str), path


def test_json_feed_entry_matches_the_real_one_key_by_key(http: requests.Session) -> None:
    real = load_json("cmr-samples/atl03.json")
    response = http.get(
        f"{CMR}/granules.json",
        params={"provider": "NSIDC_ECS", "short_name": "ATL03", "page_size": 1},
        timeout=30,
    )
    ours = response.json()
    assert ours["feed"].keys() == real["feed"].keys()
    assert ours["feed"]["title"] == real["feed"]["title"]
    entry, real_entry = ours["feed"]["entry"][0], real["feed"]["entry"][0]
    assert entry.keys() == real_entry.keys()
    _same_shape(real_entry, entry)
    for polygon in entry["polygons"]:
        numbers = polygon[0].split()
        assert len(numbers) % 2 == 0 and numbers[:2] == numbers[-2:]
        assert all(-90 <= float(lat) <= 90 for lat in numbers[0::2])
    assert {link["rel"] for link in entry["links"]} <= {link["rel"] for link in real_entry["links"]}


def test_umm_json_items_match_the_real_ones_key_by_key(http: requests.Session) -> None:
    ecs_real = load_json("cmr-samples/atl03_umm.json")
    ecs = http.get(
        f"{CMR}/granules.umm_json",
        params={"provider": "NSIDC_ECS", "short_name": "ATL03", "page_size": 1},
        timeout=30,
    ).json()
    _same_shape(ecs_real, ecs)
    _, results_page = _cmr_interactions()
    cloud_real = json.loads(results_page["response"]["body"]["string"])
    cloud = http.get(
        f"{CMR}/granules.umm_json", params={"provider": "POCLOUD", "page_size": 1}, timeout=30
    ).json()
    real_item = cloud_real["items"][0]
    # the recorded collection has bounding rectangles; ours have polygons (both valid UMM-G)
    real_item["umm"]["SpatialExtent"]["HorizontalSpatialDomain"].pop("Geometry")
    _same_shape(cloud_real, cloud)
    assert cloud["items"][0]["meta"].keys() == real_item["meta"].keys()
