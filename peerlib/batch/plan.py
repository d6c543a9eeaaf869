"""Plan a batch: the report templates, one :class:`Job` per notebook run, and the checks
made before anything runs (one ``parameters`` cell per template, plain parameter values)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParameterError, ReportError
from ..paths import output_path

__all__ = ["TEMPLATES", "FRAMEWORK_XLSX", "Job", "JobResult", "check_template", "code_digest",
           "job_keys", "plain_parameters", "plan_jobs", "run_groups"]

#: Report templates (in ``notebooks/``) by kind.
TEMPLATES = {
    "data_quality": "00_prepare_data.ipynb",
    "site": "10_site_report.ipynb",
    "site_short": "11_site_short.ipynb",
    "cross_site": "20_cross_site.ipynb",
    "framework": "30_framework_matrix.ipynb",
}
#: Submission order by kind (slowest first): cross-site and framework notebooks take about
#: twice as long as a site report.
_EXPECTED_ORDER = {"cross_site": 0, "framework": 1, "data_quality": 2, "site": 3}
#: Kinds run one after another by one worker, in this order: both need scipy.stats (Fisher's
#: exact test; statsmodels' kappa), statsmodels and krippendorff, which no other report
#: imports; in one kernel they are imported once per batch, not twice (scipy.stats alone
#: took 0.6-1.2 s of CPU after the kernel's warm-up imports, on the 2-core machine).
SHARED_KERNEL = ("framework", "cross_site")
#: The framework matrix workbook, written beside its HTML report.
FRAMEWORK_XLSX = "framework_matrix.xlsx"


@dataclass(frozen=True)
class Job:
    """One notebook run: its name (``S01``, ``cross_site``...), template and outputs.

    ``html`` and ``notebook`` are paths relative to the reports folder.
    """

    name: str
    kind: str
    title: str
    template: str
    parameters: dict
    html: str
    notebook: str


@dataclass
class JobResult:
    """How one job ended: ``ok``; on failure the error and the failing cell (1-based
    execution count when papermill knows it); ``reused`` when the published report was
    kept because nothing it is made from changed."""

    name: str
    ok: bool
    seconds: float
    error: str = ""
    cell: int | None = None
    outputs: list[str] = field(default_factory=list)
    reused: bool = False


def check_template(path: str | Path) -> None:
    """Refuse a template that has not exactly one cell tagged ``parameters``.

    Without that tag papermill injects parameters at the top and the notebook's own
    defaults then overwrite them, so every site report would show the default site.

    Raises
    ------
    ParameterError
        When the notebook is missing (a wrong project folder or ``--notebooks``: exit 2);
        the message names the file and what to do.
    ReportError
        When the notebook is unreadable or has zero or several ``parameters`` cells; the
        message names the file and what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(
            f"Report template not found: {path}. Run peerlib in the project folder (the one "
            "holding notebooks/), or give it with --project-dir, or name the folder of the "
            "templates with --notebooks.")
    # plain JSON: only the cells' tags are needed, and nbformat's schema validation
    # imports jsonschema's format checkers (seconds of grammar building) on every run
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
        raise ReportError(f"Report template {path} cannot be read as a notebook ({exc}); "
                          "restore it from git (git checkout -- notebooks/).") from None
    tagged = [i for i, c in enumerate(cells) if isinstance(c, dict) and "parameters" in
              (c.get("metadata") or {}).get("tags", [])]
    if len(tagged) != 1:
        raise ReportError(
            f"{path.name} has {len(tagged)} cells tagged 'parameters'; exactly one is needed "
            "(in JupyterLab: select the cell, open the property inspector and add the tag "
            "'parameters').")


def plain_parameters(params: dict) -> dict:
    """Parameters as plain JSON types (numpy scalars through papermill arrive as strings:
    ``np.bool_(False)`` would become the truthy ``"False"``).

    Raises
    ------
    ParameterError
        For a value that is not a str, int, float, bool, None or a list/dict of those.
    """
    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise ParameterError(f"Parameter value {value!r} ({type(value).__name__}) is not a "
                             "plain str/int/float/bool")
    return {str(k): plain(v) for k, v in params.items()}


def plan_jobs(site_ids: list[str], *, data_dir: str, min_group_size: int | None = None,
              notebooks: Path, site_titles: dict[str, str] | None = None,
              include_data_quality: bool = True, include_cross_site: bool = True,
              include_framework: bool = True, policy=None,
              short_sites=frozenset()) -> list[Job]:
    """The jobs of a batch: data quality, one per site, cross-site, framework matrix (in
    that order; the framework matrix only when ``peerlib import-codes`` has written
    ``coded_segments.parquet`` into ``data_dir``).

    Raises
    ------
    ReportError
        When a template lacks exactly one ``parameters`` cell (checked before anything runs).

    Notes
    -----
    Every notebook gets the disclosure policy (``disclosure``, ``min_group_size``) and a
    ``disclosure_mask`` parameter, left empty here (so that it takes no part in the reuse
    key) and set by the run to the batch's one mask file. Sites in ``short_sites`` (fewer
    than ``k`` participants) get the short report ``11_site_short`` instead.
    """
    from ..disclosure import get_policy, policy_parameters

    site_titles = site_titles or {}
    short_sites = set(short_sites)
    disclosure = {**policy_parameters((policy or get_policy()).with_k(min_group_size)),
                  "disclosure_mask": ""}
    templates = {kind: notebooks / name for kind, name in TEMPLATES.items()}
    for kind, path in templates.items():
        if kind != "site_short" or short_sites & set(site_ids):
            check_template(path)
    jobs = []
    if include_data_quality:
        jobs.append(Job("data_quality", "data_quality", "Data quality report",
                        str(templates["data_quality"]),
                        plain_parameters({"data_dir": data_dir, **disclosure}),
                        "data_quality.html", "notebooks/00_prepare_data.ipynb"))
    for site in site_ids:
        short = site in short_sites  # too few people: the short report that says so
        params = {"site_id": str(site), "data_dir": data_dir, **disclosure}
        if not short:
            params["pack_path"] = "reports/" + output_path("sites", identifier=site,
                                                           suffix=".pdf").as_posix()
        jobs.append(Job(site, "site", f"Site report {site_titles.get(site, site)}",
                        str(templates["site_short" if short else "site"]),
                        plain_parameters(params),
                        output_path("sites", identifier=site, suffix=".html").as_posix(),
                        output_path("notebooks/sites", identifier=site,
                                    suffix=".ipynb").as_posix()))
    if include_cross_site:
        jobs.append(Job("cross_site", "cross_site", "Cross-site report",
                        str(templates["cross_site"]),
                        plain_parameters({"data_dir": data_dir, **disclosure,
                                          "figures_dir": "reports/figures"}),
                        "cross_site.html", "notebooks/20_cross_site.ipynb"))
    if include_framework and (Path(data_dir) / "coded_segments.parquet").exists():
        jobs.append(Job("framework_matrix", "framework", "Framework matrix (Part 2)",
                        str(templates["framework"]),
                        plain_parameters({"data_dir": data_dir, **disclosure,
                                          "excel_path": f"reports/{FRAMEWORK_XLSX}"}),
                        "framework_matrix.html", "notebooks/30_framework_matrix.ipynb"))
    return jobs


def code_digest() -> str:
    """SHA-256 over peerlib's own code and package data (modules, report templates, the
    codebook): a report made by other code is built again."""
    import hashlib

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix not in (".pyc",) and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()


def job_keys(job_list: list[Job], data_dir: str | Path, *, shared: str = "") -> dict[str, str]:
    """What each report is made from, as one SHA-256 per job: its template, peerlib's code,
    its parameters, and the prepared data it reads.

    Every report reads the whole Part 1 table (a site report compares the site with all
    other sites, and one disclosure mask protects the batch), the codebook and the register.
    Of the coded Part 2 segments a site report reads only its own site's (its quotes); the
    other reports read them all. So a re-import that changes one site's transcripts rebuilds
    that site's report and the reports on all sites, and reuses the other site reports.

    Parameters
    ----------
    job_list : list of Job
        From :func:`plan_jobs`.
    data_dir : str or Path
        The prepared data folder.
    shared : str
        Anything else every report depends on (e.g. a digest of batch-wide results).

    Returns
    -------
    dict
        ``{job name: hex digest}``.
    """
    import hashlib

    data_dir = Path(data_dir)

    def files(*names: str) -> str:
        digest = hashlib.sha256()
        for name in names:
            path = data_dir / name
            digest.update(name.encode("utf-8"))
            digest.update(path.read_bytes() if path.exists() else b"<absent>")
        return digest.hexdigest()

    part1 = files("part1_long.parquet", "part1_meta.json", "codebook.yaml", "sites.csv")
    part2_all = files("coded_segments.parquet", "coded_segments_meta.json",
                      "qda_codebook.parquet")
    part2_site: dict[str, str] = {}
    if (data_dir / "coded_segments.parquet").exists():
        import pandas as pd

        segments = pd.read_parquet(data_dir / "coded_segments.parquet")
        codes = files("qda_codebook.parquet")
        for site, rows in segments.groupby(segments["site_id"].astype(str), sort=True):
            rows_hash = pd.util.hash_pandas_object(rows.reset_index(drop=True), index=True)
            part2_site[site] = hashlib.sha256(rows_hash.values.tobytes() +
                                              codes.encode()).hexdigest()
    code = code_digest()
    keys = {}
    for job in job_list:
        part2 = (part2_site.get(str(job.parameters.get("site_id")), "none")
                 if job.kind == "site" else part2_all)
        template = hashlib.sha256(Path(job.template).read_bytes()).hexdigest()
        text = json.dumps([template, code, job.parameters, part1, part2, shared, job.html,
                           job.notebook],
                          sort_keys=True, default=str)
        keys[job.name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return keys


def run_groups(jobs: list[Job]) -> list[list[Job]]:
    """The jobs as the batch submits them: each group runs in turn on one worker.

    Parameters
    ----------
    jobs : list of Job
        The jobs to run.

    Returns
    -------
    list of list of Job
        The jobs of the :data:`SHARED_KERNEL` kinds as one group, in that order (framework
        first, the longest report); every other job alone; groups in submission order,
        slowest first (:data:`_EXPECTED_ORDER`; a group is placed by its kind that comes
        first there), so that no core idles at the end waiting for a long report. Every job is in
        exactly one group.
    """
    shared = sorted((j for j in jobs if j.kind in SHARED_KERNEL),
                    key=lambda j: SHARED_KERNEL.index(j.kind))
    groups = [[j] for j in jobs if j.kind not in SHARED_KERNEL]
    if shared:
        groups.append(shared)
    return sorted(groups, key=lambda g: min(_EXPECTED_ORDER.get(j.kind, 9) for j in g))
