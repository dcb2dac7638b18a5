"""Reports of the flagship variants in both languages; every number in 要約 matches the store."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from oreshock import Store
from oreshock.model.coverage import CoverageWarning
from oreshock.model.scenario import Scenario
from oreshock.model.simulate import simulate
from oreshock.model.variants import run_variants
from oreshock.report.builder import report_data, write_report
from oreshock.report.comparison import claim_line
from oreshock.store.integrity import DamagedRunError

FLAGSHIP = "japan-rare-earths-2026"
DATA = re.compile(r'<data value="([^"]*)" data-field="([^"]*)">([^<]*)</data>')


@pytest.fixture(scope="module")
def flagship_db(tmp_path_factory, network) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("report") / "runs.duckdb"
    results = run_variants(FLAGSHIP, network)
    with Store(path) as store:
        ids = [store.save_run(r) for r in results]
    return path, ids


def _summary_row(record: dict, country: str, mineral: str, stage: str) -> dict:
    return next(
        r
        for r in record["summary"]
        if (r["country"], r["mineral"], r["stage"]) == (country, mineral, stage)
    )


def _month(start: str, offset: int) -> str:
    y, m = map(int, start.split("-"))
    yy, mm = divmod(m - 1 + offset, 12)
    return f"{y + yy:04d}-{mm + 1:02d}"


def expected(store: Store, field: str) -> float | str:
    """The value a tagged number must have, read back from the stored runs."""
    parts = field.split("|")
    if parts[0] == "delta":
        _, ref, run, country, mineral, stage = parts
        a = _summary_row(store.run(ref), country, mineral, stage)["cumulative_shortfall_pct"]
        b = _summary_row(store.run(run), country, mineral, stage)["cumulative_shortfall_pct"]
        return abs(a - b)
    record = store.run(parts[0])
    if parts[1] == "months":
        return record["months"]
    if parts[1] == "start":
        return record["start_month"]
    if parts[1] == "count_short_countries":
        return len(
            {r["country"] for r in record["summary"] if r["months_to_shortfall"] is not None}
        )
    if parts[1] == "sector":
        _, _, country, mineral, sector, column = parts
        sectors = store.sectors(parts[0])
        row = sectors[(sectors["country"] == country) & (sectors["sector"] == sector)].iloc[0]
        return float(row[column])
    country, mineral, stage, column = parts[1:]
    row = _summary_row(record, country, mineral, stage)
    if column == "first_shortfall_month":
        return _month(record["start_month"], row["months_to_shortfall"])
    return row[column]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_flagship_reports_numbers_match_store(flagship_db, tmp_path, lang):
    db, ids = flagship_db
    with Store(db, read_only=True) as store:
        for run_id in ids:
            out = write_report(run_id, tmp_path / f"{run_id}.html", lang=lang, db_path=db)
            html = out.read_text("utf-8")
            head = html.split('<section id="sources">')[0]
            assert not re.search(r'(src|href)="(https?:)?//', head)  # self-contained
            summary = html.split('<section id="summary">')[1].split("</section>")[0]
            assert ("要約" if lang == "ja" else "Summary") in summary
            assert ("解説" if lang == "ja" else "Analysis") in html
            tagged = DATA.findall(summary)
            assert len(tagged) >= 4
            # no digit outside a tagged number or a name from the data
            bare = re.sub(r'<span class="name">[^<]*</span>', "", DATA.sub("", summary))
            assert not re.search(r"\d", re.sub(r"<[^>]+>", "", bare)), bare
            for value, field, shown in tagged:
                want = expected(store, field)
                if isinstance(want, str):
                    assert value == want, field
                    continue
                assert float(value) == pytest.approx(round(float(want), 1), abs=0.051), field
                assert float(shown.replace(",", "")) == pytest.approx(float(want), abs=0.051)
            assert html.count("<svg") >= 5
            assert 'class="chart chart-sankey"' in html and 'class="chart chart-map"' in html


def test_report_assumptions_and_sources(flagship_db, tmp_path):
    db, ids = flagship_db
    html = write_report(ids[-1], tmp_path / "r.html", lang="ja", db_path=db).read_text("utf-8")
    assert "ショック2（再輸出規制）: 中国 → 日本" in html  # the stored shocks, by name
    assert "reexport_control" not in html
    assert '<td>不足する加盟国向けに確保する輸出の割合</td><td class="value">30%</td>' in html
    assert "10% – 50%" in html  # the range the scenario file samples the share from
    assert "usgs_mcs2025" in html  # a source the rare-earth rows cite
    assert "日本" in html


def test_report_pdf(flagship_db, tmp_path):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("PDF needs /usr/bin/chromium (scripts/install-system-deps.sh installs it)")
    db, ids = flagship_db
    out = write_report(ids[-1], tmp_path / "r.pdf", lang="ja", fmt="pdf", db_path=db)
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert b"NotoSansCJK" in data or b"Noto" in data  # the Japanese font was embedded


def test_report_bad_input(flagship_db, tmp_path):
    from oreshock.core.errors import OreshockError, UnknownIdError

    db, ids = flagship_db
    with pytest.raises(UnknownIdError):
        write_report("000000000000", tmp_path / "x.html", db_path=db)
    with pytest.raises(OreshockError, match="language"):
        write_report(ids[0], tmp_path / "x.html", lang="fr", db_path=db)
    with pytest.raises(OreshockError, match="format"):
        write_report(ids[0], tmp_path / "x.doc", fmt="doc", db_path=db)
    with pytest.raises(OreshockError, match="no results database"):
        write_report(ids[0], tmp_path / "x.html", db_path=tmp_path / "missing.duckdb")
    assert not (tmp_path / "x.html").exists()


def test_cli_report_command(flagship_db, tmp_path):
    import typer
    from typer.testing import CliRunner

    from oreshock.cli.web import register

    app = typer.Typer()
    register(app)
    db, ids = flagship_db
    out = tmp_path / "cli.html"
    result = CliRunner().invoke(
        app, ["report", ids[1], "--lang", "en", "--out", str(out), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and dt.date.today().year > 2000
    bad = CliRunner().invoke(app, ["report", "000000000000", "--out", str(out), "--db", str(db)])
    assert bad.exit_code == 2


def test_claim_line_names_stages_in_the_chosen_language():
    check = {
        "holds": False,
        "least_stage": "magnets",
        "least_pct": 44.0,
        "worst_stage": "separation",
        "worst_pct": 70.0,
    }
    names = {"magnets": "ネオジム磁石", "separation": "分離精製（酸化物）"}
    assert claim_line(check, "ja", names) == (
        "不成立: 6か月目も日本はネオジム磁石の需要の56%を確保（分離精製（酸化物）の不足は70%）"
    )
    holds = {**check, "holds": True, "least_pct": 95.0}
    assert claim_line(holds, "en") == "holds: by month 6 Japan's magnets supply is 95% short"


def test_report_says_what_the_data_do_not_cover(network, tmp_path):
    """A titanium ban on Korea, which has no titanium demand in the data: the report's
    summary says so in both languages instead of "no shortfall"."""
    scenario = Scenario.model_validate(
        {
            "name": "titanium-korea",
            "months": 12,
            "minerals": ["titanium"],
            "shocks": [
                {
                    "type": "export_ban",
                    "exporter": "CHN",
                    "destinations": ["KOR"],
                    "start": "2026-01",
                }
            ],
        }
    )
    with pytest.warns(CoverageWarning, match="South Korea"):
        result = simulate(network, scenario)
    db = tmp_path / "runs.duckdb"
    with Store(db) as store:
        run_id = store.save_run(result)
    for lang, note, no_short in (
        (
            "en",
            "Titanium sponge: no demand data for South Korea; result not meaningful",
            "South Korea has no shortfall",
        ),
        ("ja", "スポンジチタン: データに韓国の需要がなく、結果は意味をなさない", "韓国では"),
    ):
        html = write_report(run_id, tmp_path / f"{lang}.html", lang=lang, db_path=db).read_text()
        summary = html.split('<section id="summary">')[1].split("</section>")[0]
        assert note in summary
        assert no_short not in summary


def test_a_report_of_a_damaged_run_is_refused(tmp_path, network):
    """A run whose stored numbers no longer match its content hash gets no report: the
    report would state numbers nobody computed."""
    path = tmp_path / "runs.duckdb"
    with Store(path) as store:
        run_id = store.save_run(simulate(network, Scenario(name="quiet", months=6)))
    con = duckdb.connect(str(path))
    con.execute("UPDATE timeseries SET value = value * 2 WHERE run_id = ?", [run_id])
    con.close()
    out = tmp_path / "report.html"
    with pytest.raises(DamagedRunError, match=run_id):
        write_report(run_id, out, db_path=path)
    assert not out.exists()


@pytest.mark.parametrize(
    ("lang", "inside", "outside"),
    [("en", "China (domestic market)", "Outside China"), ("ja", "中国国内市場", "中国国外")],
)
def test_the_report_charts_the_price_inside_and_outside_china(flagship_db, lang, inside, outside):
    """The worst-hit stage's price in USD/kg, one line per region, named in the language."""
    db, ids = flagship_db
    with Store(db, read_only=True) as store:
        data = report_data(store, ids[0], lang)
    prices = [f for f in data["figures"] if f["id"].startswith("price-")]
    assert prices, [f["id"] for f in data["figures"]]
    svg = prices[0]["svg"]
    assert "USD/kg" in svg and inside in svg and outside in svg
