"""CMR fidelity, round 2 (issue #15): each test states what live CMR does and cites its source in
nasa/Common-Metadata-Repository (``path``), its documentation (search-app/docs/api.md, served at
https://cmr.earthdata.nasa.gov/search/site/docs/search/api.html) or a recorded response in
/work/shared/cmr-samples (``cmr-samples/...``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
import requests
from sandbox_http import ids
from sandbox_shared import load_json
from shapely.geometry import Point, Polygon

from sandbox.catalog.records import GranuleRecord
from sandbox.cmr.errors import CmrError
from sandbox.cmr.params import parse_query
from sandbox.cmr.search import _temporal_match
from sandbox.cmr.temporal import parse_interval

CMR = "https://cmr.earthdata.nasa.gov/search"
OUT_OF_ORDER = (
    "The polygon boundary points are listed in the wrong order. Points must be provided in "
    "counter-clockwise order."
)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- 1. polygon order -------------------------------------------------------------------------


def test_clockwise_polygon_gets_400_with_cmr_message_in_the_requested_format(
    http: requests.Session,
) -> None:
    """spatial-lib/src/cmr/spatial/messages.clj ``ring-points-out-of-order``, raised by
    ring_validations.clj for a geodetic ring whose courses turn clockwise (geodetic_ring.clj);
    errors are JSON for .json/.umm_json and XML otherwise (common-lib api/errors.clj)."""
    clockwise = "-140,57,-135,59.5,-130,57,-140,57"
    counter = "-140,57,-130,57,-135,59.5,-140,57"
    params = {"short_name": "ATL03", "polygon": clockwise}
    as_json = http.get(f"{CMR}/granules.umm_json", params=params, timeout=30)
    assert as_json.status_code == 400
    assert as_json.headers["Content-Type"] == "application/json"
    assert as_json.json() == {"errors": [OUT_OF_ORDER]}
    as_xml = http.get(f"{CMR}/granules", params=params, headers={"Accept": None}, timeout=30)
    assert as_xml.status_code == 400
    assert as_xml.headers["Content-Type"] == "application/xml"
    assert as_xml.text == (
        f'<?xml version="1.0" encoding="UTF-8"?><errors><error>{OUT_OF_ORDER}</error></errors>'
    )
    fine = http.get(f"{CMR}/granules.umm_json", params={**params, "polygon": counter}, timeout=30)
    assert fine.status_code == 200 and fine.json()["hits"] > 0


@pytest.mark.parametrize(
    ("polygon", "message"),
    [
        # system-int-test .../granule_spatial_search_test.clj "invalid polygons"
        ("0,0,1,0,1,1", "[0,0,1,0,1,1] is not a valid URL encoded polygon"),  # < 4 points
        (
            "0,0,1,0,1,1,0,1",
            "Polygon boundary was not closed. The last point must be equal to the first point.",
        ),
        # points_validation_helpers.clj: points-in-shape-validation wraps point messages
        (
            "0,0,181,0,1,1,0,0",
            "Point 2 had the following error: Point longitude [181] must be within -180.0 and "
            "180.0",
        ),
        ("0,0,1e1,0,1,1,0,0", "[0,0,1e1,0,1,1,0,0] is not a valid URL encoded polygon"),
    ],
)
def test_polygon_validation_messages(http: requests.Session, polygon: str, message: str) -> None:
    """spatial-lib codec.clj (polygon-regex: no exponents) and messages.clj."""
    response = http.get(
        f"{CMR}/granules.json", params={"provider": "POCLOUD", "polygon": polygon}, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [message]


# -- 2. parameter names -----------------------------------------------------------------------


def test_kebab_and_camel_case_names_mean_the_snake_case_parameter(
    http: requests.Session,
) -> None:
    """elastic-utils-lib/src/cmr/elastic_utils/search/es_params_converter.clj ``sanitize-params``:
    ``u/map-keys->kebab-case`` (camel-snake-kebab) keys every parameter, so ``bounding-box``,
    ``bounding_box`` and ``boundingBox`` are one; unknown names are reported snake_case
    (common-app-lib .../parameter_validation.clj ``unrecognized-params-validation``)."""
    snake = {
        "short_name": "ATL03",
        "bounding_box": "-134.7,58.9,-133.9,59.2",
        "temporal": "2018-10-01T00:00:00Z,2018-10-31T23:59:59Z",
        "page_size": 2000,
    }
    kebab = {k.replace("_", "-"): v for k, v in snake.items()}
    camel = {"shortName": "ATL03", "boundingBox": snake["bounding_box"], "pageSize": 2000}
    want = ids(http.get(f"{CMR}/granules.umm_json", params=snake, timeout=30))
    assert want
    assert ids(http.get(f"{CMR}/granules.umm_json", params=kebab, timeout=30)) == want
    assert ids(http.get(f"{CMR}/granules.umm_json", params=camel, timeout=30)) >= want
    some = sorted(want)[:2]
    assert ids(http.get(f"{CMR}/granules.umm_json", params={"concept-id": some}, timeout=30)) == (
        set(some)
    )
    one = http.get(f"{CMR}/granules.umm_json", params={**kebab, "page-size": 1}, timeout=30)
    assert len(one.json()["items"]) == 1
    unknown = http.get(
        f"{CMR}/granules.json", params={"short-name": "ATL03", "colourScheme": "x"}, timeout=30
    )
    assert unknown.json() == {"errors": ["Parameter [colour_scheme] was not recognized."]}


def test_blank_single_values_are_dropped(http: requests.Session) -> None:
    """es_params_converter.clj ``remove-empty-params``: ``temporal=`` is no condition."""
    params = {"provider": "POCLOUD", "page_size": 0}
    plain = http.get(f"{CMR}/granules.umm_json", params=params, timeout=30)
    blank = http.get(f"{CMR}/granules.umm_json", params={**params, "temporal": " "}, timeout=30)
    assert blank.status_code == 200
    assert blank.headers["CMR-Hits"] == plain.headers["CMR-Hits"]


# -- 3. ISO 8601 intervals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "start", "end"),
    [
        # Joda-Time Interval.parse (common-lib date_time_range_parser.clj): calendar periods
        ("2019-01-01T00:00:00Z/P1Y2M", "2019-01-01T00:00:00Z", "2020-03-01T00:00:00Z"),
        ("P1Y/2021-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"),  # 366 d
        ("2019-01-31T00:00:00Z/P1M", "2019-01-31T00:00:00Z", "2019-02-28T00:00:00Z"),
        # Joda adds years, then months: 2021-02-28 + 1 month, not 2020-02-29 + 13 months
        ("2020-02-29T00:00:00Z/P1Y1M", "2020-02-29T00:00:00Z", "2021-03-28T00:00:00Z"),
        ("2019-06-22T10:00:00Z/PT1H30M", "2019-06-22T10:00:00Z", "2019-06-22T11:30:00Z"),
        (
            "2019-06-22T00:00:00Z/2019-06-23T00:00:00Z",
            "2019-06-22T00:00:00Z",
            "2019-06-23T00:00:00Z",
        ),
    ],
)
def test_iso_intervals_use_calendar_arithmetic(interval: str, start: str, end: str) -> None:
    """common-lib/src/cmr/common/date_time_range_parser.clj: ``org.joda.time.Interval/parse``."""
    assert parse_interval(interval) == (_at(start), _at(end))


def test_iso_interval_searches_and_bad_intervals(
    http: requests.Session, records: list[GranuleRecord]
) -> None:
    """A period interval finds what the equal start,end range finds; a reversed one is Joda's
    IllegalArgumentException, reported as ``[...] is not a valid date-range`` with status 422
    (common-lib services/messages.clj ``invalid-msg``, api/errors.clj :invalid-data)."""
    base = {"provider": "POCLOUD", "page_size": 2000}
    period = http.get(
        f"{CMR}/granules.umm_json", params={**base, "temporal": "2019-06-22T10:00:00Z/PT2H"}
    )
    plain = http.get(
        f"{CMR}/granules.umm_json",
        params={**base, "temporal": "2019-06-22T10:00:00Z,2019-06-22T12:00:00Z"},
    )
    assert ids(period) == ids(plain) and ids(plain)
    bad = http.get(
        f"{CMR}/granules.json",
        params={**base, "temporal": "2019-06-22T10:00:00Z/2019-06-21T10:00:00Z"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0].startswith(
        "[2019-06-22T10:00:00Z/2019-06-21T10:00:00Z] is not a valid date-range"
    )


# -- 4. periodic temporal ---------------------------------------------------------------------

# system-int-test/test/cmr/system_int_test/search/granule/granule_periodic_temporal_search_test.clj
_CMR_GRANULES = {
    1: ("2000-01-01T12:00:00Z", "2000-02-14T12:00:00Z"),
    2: ("2000-02-14T12:00:00Z", "2000-02-15T12:00:00Z"),
    3: ("2000-03-15T12:00:00Z", "2000-04-15T12:00:00Z"),
    4: ("2000-04-01T12:00:00Z", "2000-04-15T12:00:00Z"),
    5: ("2001-01-01T12:00:00Z", "2001-01-31T12:00:00Z"),
    6: ("2001-01-01T12:00:00Z", "2001-02-14T12:00:00Z"),
    7: ("2001-03-15T12:00:00Z", "2001-04-15T12:00:00Z"),
    8: ("2001-04-01T12:00:00Z", "2001-04-15T12:00:00Z"),
    9: ("2002-01-01T12:00:00Z", "2002-01-31T12:00:00Z"),
    10: ("2002-01-01T12:00:00Z", "2002-02-14T12:00:00Z"),
    11: ("2002-03-14T12:00:00Z", "2002-04-15T12:00:00Z"),
    12: ("2002-03-15T12:00:00Z", "2002-04-15T12:00:00Z"),
    13: ("2002-04-01T12:00:00Z", "2002-04-15T12:00:00Z"),
    14: ("1999-02-15T12:00:00Z", "1999-03-15T12:00:00Z"),
    15: ("2003-02-15T12:00:00Z", "2003-03-15T12:00:00Z"),
    16: ("1999-02-15T12:00:00Z", None),
    17: ("2001-02-15T12:00:00Z", None),
    18: ("2002-03-15T12:00:00Z", None),
    19: ("2001-11-15T12:00:00Z", "2001-12-15T12:00:00Z"),
}


@pytest.mark.parametrize(
    ("temporal", "expected"),
    [
        ("2000-02-15T00:00:00Z, 2002-03-15T00:00:00Z, 32, 90", {2, 3, 6, 7, 10, 11, 16, 17}),
        ("2000-02-15T00:00:00Z, 2002-03-15T00:00:00Z, 32,", {2, 3, 4, 6, 7, 8, 10, 11, 16, 17, 19}),
        ("2000-02-15T00:00:00Z, 2002-03-15T00:00:00Z, , 90", {2, 3, 5, 6, 7, 9, 10, 11, 16, 17}),
        (
            "2000-02-15T00:00:00Z, , 32",
            {2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17, 18, 19},
        ),
        (
            "2000-04-03T00:00:00Z, 2002-01-02T00:00:00Z, 93, 2",
            {3, 4, 5, 6, 7, 8, 9, 10, 16, 17, 19},
        ),
        (
            ["1998-01-15T00:00:00Z, 1999-03-15T00:00:00Z, 60, 90",
             "2000-02-15T00:00:00Z, 2001-03-15T00:00:00Z, 40, 50"],
            {2, 6, 14, 16, 17},
        ),
    ],
)  # fmt: skip
def test_periodic_temporal_matches_cmr_integration_test(
    temporal: str | list[str], expected: set[int]
) -> None:
    """The expected granules are those of CMR's own integration test for periodic ranges
    (day-of-year windows per year, search-app data/complex_to_simple_converters/temporal.clj)."""
    values = temporal if isinstance(temporal, list) else [temporal]
    query = parse_query("granules", [("provider", "X"), *(("temporal[]", v) for v in values)])
    got = {
        number
        for number, (begin, end) in _CMR_GRANULES.items()
        if any(
            _temporal_match((_at(begin), _at(end) if end else None), r, False)
            for r in query.temporal
        )
    }
    assert got == expected


def test_periodic_temporal_over_http_and_its_errors(
    http: requests.Session, records: list[GranuleRecord]
) -> None:
    """A window on day 173 (June 22 in 2018, 2019 and, leap year, 2020: CMR's ``adjust-day``)
    of each year finds the June 22 granules, from the start's time of day to the end's; a range
    whose windows are all empty is refused with CMR's message (temporal.clj
    ``periodic-temporal->simple-conditions``); days outside 1..366 with ``day-valid?``'s
    (search-app parameter_validation.clj)."""
    base = {"provider": "POCLOUD", "page_size": 2000}
    got = ids(
        http.get(
            f"{CMR}/granules.umm_json",
            params={**base, "temporal[]": "2018-01-01T00:00:00Z,2020-12-31T23:59:59Z,173,173"},
            timeout=30,
        )
    )
    want = {
        r.concept_id
        for r in records
        if r.provider == "POCLOUD"
        and any(
            r.granule.begin <= datetime(year, 6, 22, 23, 59, 59, tzinfo=UTC)
            and r.granule.end >= datetime(year, 6, 22, tzinfo=UTC)
            for year in (2018, 2019, 2020)
        )
    }
    assert got == want and want
    instant = ids(
        http.get(
            f"{CMR}/granules.umm_json",
            params={**base, "temporal[]": "2018-01-01T00:00:00Z,2020-12-31T00:00:00Z,173,173"},
            timeout=30,
        )
    )
    assert instant < want  # the window closes at the end's time of day, 00:00:00
    empty = http.get(
        f"{CMR}/granules.json",
        params={**base, "temporal": "2019-03-01T00:00:00Z,2019-03-10T00:00:00Z,100,120"},
        timeout=30,
    )
    assert empty.status_code == 400
    assert empty.json() == {
        "errors": ["Periodic temporal search produced no searchable ranges and is invalid."]
    }
    bad_day = http.get(
        f"{CMR}/granules.json",
        params={**base, "temporal": "2019-01-01T00:00:00Z,2019-12-31T00:00:00Z,0,400"},
        timeout=30,
    )
    assert bad_day.json()["errors"] == [
        "temporal_start_day [0] must be an integer between 1 and 366",
        "temporal_end_day [400] must be an integer between 1 and 366",
    ]
    no_end = http.get(
        f"{CMR}/granules.json", params={**base, "temporal": "2019-01-01T00:00:00Z,,1,90"}
    )
    assert no_end.status_code == 500 and "sandbox" in no_end.json()["errors"][0]


def test_periodic_end_day_without_end_date_is_cmrs_internal_error() -> None:
    """complex_to_simple_converters/temporal.clj ``current-end-date`` reads ``(t/hour end-date)``
    when end_day is given: with no end date that throws, and CMR answers 500."""
    with pytest.raises(CmrError) as raised:
        parse_query("granules", [("provider", "X"), ("temporal", "2019-01-01T00:00:00Z,,1,90")])
    assert raised.value.status == 500


# -- 5. circles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("circles", "messages"),
    [
        # system-int-test .../granule_spatial_search_test.clj (circle search errors)
        (["0,100"], ["[0,100] is not a valid URL encoded circle"]),
        (["0,0,100,200"], ["[0,0,100,200] is not a valid URL encoded circle"]),
        (["x,0,100"], ["[x,0,100] is not a valid URL encoded circle"]),
        (["181,0,100"], ["Point longitude [181] must be within -180.0 and 180.0"]),
        (["0,-91,100"], ["Point latitude [-91] must be within -90 and 90.0"]),
        (["0,90,100"], ["Circle center cannot be the north or south pole, but was [0.0, 90.0]"]),
        (
            ["120,-90,100"],
            ["Circle center cannot be the north or south pole, but was [120.0, -90.0]"],
        ),
        (["0,0,1.0"], ["Circle radius must be between 10 and 6000000, but was 1.0."]),
        (["0,0,6000001"], ["Circle radius must be between 10 and 6000000, but was 6000001.0."]),
        (
            ["0,1,r", "0,0,100", "10,20,-100"],
            [
                "[0,1,r] is not a valid URL encoded circle",
                "Circle radius must be between 10 and 6000000, but was -100.0.",
            ],
        ),
    ],
)
def test_circle_validation_messages(
    http: requests.Session, circles: list[str], messages: list[str]
) -> None:
    """spatial-lib circle.clj (10 m to 6000 km, center not on a pole) and codec.clj."""
    response = http.get(
        f"{CMR}/granules.json", params={"provider": "POCLOUD", "circle[]": circles}, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["errors"] == messages


def test_circle_search_finds_footprints_near_its_center(
    http: requests.Session, records: list[GranuleRecord]
) -> None:
    """search-app converters/spatial.clj searches a circle as the 16/32-point polygon of
    spatial-lib circle.clj ``circle->polygon``. Oracle (shapely): a footprint holding the center
    matches; one farther than the radius from it (great-circle distance to every vertex and
    more than radius/111 km in degrees away) does not."""
    atl03 = [r for r in records if r.granule.short_name == "ATL03"]
    footprint = Polygon(atl03[0].granule.footprint)
    center = footprint.representative_point()
    for radius in (5_000, 80_000):
        got = ids(
            http.get(
                f"{CMR}/granules.umm_json",
                params={
                    "short_name": "ATL03",
                    "circle": f"{center.x},{center.y},{radius}",
                    "page_size": 2000,
                },
                timeout=30,
            )
        )
        holding = {r.concept_id for r in atl03 if Polygon(r.granule.footprint).covers(center)}
        assert holding <= got and atl03[0].concept_id in got
        degrees = radius / 111_000 * 2.5  # generous: longitude degrees shrink with latitude
        far = {
            r.concept_id
            for r in atl03
            if Polygon(r.granule.footprint).distance(Point(center.x, center.y)) > degrees
        }
        assert not far & got
    nowhere = http.get(
        f"{CMR}/granules.umm_json",
        params={"short_name": "ATL03", "circle": "0,-60,100000"},
        timeout=30,
    )
    assert nowhere.json()["hits"] == 0


def test_circle_across_the_antimeridian_is_cut_there() -> None:
    """A circle centred on 180 covers both sides (CMR's sanitized longitudes, circle.clj)."""
    query = parse_query("granules", [("provider", "X"), ("circle", "180,0,100000")])
    (pieces,) = query.circles
    lons = sorted(lon for ring in pieces for lon, _ in ring)
    assert len(pieces) == 2 and lons[0] < -179 and lons[-1] > 179
    assert all(-180 <= lon <= 180 for lon in lons)


# -- 6. default result format -----------------------------------------------------------------


def test_default_format_is_xml_references(http: requests.Session) -> None:
    """search-app api/concepts_search.clj passes ``mt/xml`` as the default to ``process-params``
    (``*/*`` included, api/core.clj); the references' shape is api.md's "XML Reference" example
    (reference_results_handler.clj): name (granule UR), id, location, revision-id."""
    params = {"provider": "POCLOUD", "page_size": 3}
    umm = http.get(f"{CMR}/granules.umm_json", params=params, timeout=30).json()
    for headers in ({"Accept": None}, {"Accept": "*/*"}):
        response = http.get(f"{CMR}/granules", params=params, headers=headers, timeout=30)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
        assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><results>')
        root = ET.fromstring(response.content)
        assert [child.tag for child in root] == ["hits", "took", "references"]
        assert root.findtext("hits") == response.headers["CMR-Hits"] == str(umm["hits"])
        refs = root.findall("references/reference")
        assert [[c.tag for c in ref] for ref in refs] == [
            ["name", "id", "location", "revision-id"]
        ] * 3
        assert [ref.findtext("id") for ref in refs] == [
            i["meta"]["concept-id"] for i in umm["items"]
        ]
        assert [ref.findtext("name") for ref in refs] == [
            i["umm"]["GranuleUR"] for i in umm["items"]
        ]
        first = refs[0]
        assert first.findtext("location") == (
            "https://cmr.earthdata.nasa.gov:443/search/concepts/"
            f"{first.findtext('id')}/{first.findtext('revision-id')}"
        )
        assert "CMR-Search-After" in response.headers and "CMR-Took" in response.headers
    collections = http.get(f"{CMR}/collections", params={"short_name": "ATL03"}, timeout=30)
    names = {r.findtext("name") for r in ET.fromstring(collections.content).iter("reference")}
    assert "ATLAS/ICESat-2 L2A Global Geolocated Photon Data V006" in names


def test_unsupported_accept_and_extension_are_refused(http: requests.Session) -> None:
    """common-lib mime_types.clj ``extract-header-mime-type`` / ``path->mime-type``."""
    params = {"provider": "POCLOUD"}
    accept = http.get(
        f"{CMR}/granules", params=params, headers={"Accept": "text/plain"}, timeout=30
    )
    assert accept.status_code == 400 and accept.headers["Content-Type"] == "application/xml"
    assert (
        "<error>The mime types specified in the accept header [text/plain] are not supported."
        "</error>" in accept.text
    )
    extension = http.get(f"{CMR}/granules.foo", params=params, headers={"Accept": None})
    assert extension.status_code == 400
    assert "<error>The URL extension [foo] is not supported.</error>" in extension.text
    both = http.get(
        f"{CMR}/granules",
        params=params,
        headers={"Accept": "text/plain, application/vnd.nasa.cmr.umm_results+json"},
        timeout=30,
    )
    assert both.status_code == 200 and "items" in both.json()


# -- 7. headers and texts ---------------------------------------------------------------------


def test_json_feed_id_and_content_type_are_cmrs(http: requests.Session) -> None:
    """The feed id is CMR's public root, path and query (cmr-samples/atl03.json;
    search-app services/url_helper.clj ``atom-request-url``); Content-Type carries
    ``; charset=utf-8`` (common-app-lib api/routes.clj ``search-response-headers``)."""
    real = load_json("cmr-samples/atl03.json")["feed"]["id"]
    assert real.startswith("https://cmr.earthdata.nasa.gov:443/search/granules.json?")
    response = http.get(f"{CMR}/granules.json?provider=POCLOUD&page_size=1", timeout=30)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["feed"]["id"] == (
        "https://cmr.earthdata.nasa.gov:443/search/granules.json?provider=POCLOUD&page_size=1"
    )


def test_all_granules_message_and_latitude_message_are_cmrs(http: requests.Session) -> None:
    """search-app api/concepts_search.clj ``handle-all-granule-params`` (with the support address
    of common-app-lib config.clj) and spatial-lib messages.clj ``point-lat-invalid``."""
    everything = http.get(f"{CMR}/granules.json", params={"page_size": 1}, timeout=30)
    assert everything.json()["errors"] == [
        "The CMR does not allow querying across granules in all collections. To help optimize "
        "your search, you should limit your query using conditions that identify one or more "
        "collections, such as provider, provider_id, concept_id, collection_concept_id, "
        "short_name, version or entry_title. For any questions please contact "
        "cmr-support@nasa.gov."
    ]
    point = http.get(f"{CMR}/granules.json", params={"provider": "POCLOUD", "point": "0,-91"})
    assert point.json()["errors"] == ["Point latitude [-91] must be within -90 and 90.0"]
