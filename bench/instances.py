"""Benchmark instances for the siting solvers: published sets read from disk, and seeded generated ones.

Every loader returns ``(matrix, weights, meta)``:

- maximal covering: ``matrix`` is a ``scipy.sparse.csr_array`` candidates x demand of 0/1 (what
  :func:`geoplan.siting.solve_mclp` takes);
- p-median: ``matrix`` is a candidates x demand cost matrix, a dense ``numpy.ndarray`` or a sparse array whose
  missing entries are unreachable pairs (what ``geoplan.siting.solve_pmedian`` takes);
- ``meta`` is a dict with at least ``name``, ``candidates``, ``demand`` and, where published, ``optimum``.

The published instances are read where they lie (``/work/shared/data/benchmarks``, or ``$GEOPLAN_BENCH_DATA``);
their formats are described in that folder's README.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra, shortest_path
from scipy.spatial import cKDTree

DATA = Path(os.environ.get("GEOPLAN_BENCH_DATA", "/work/shared/data/benchmarks"))

#: Earth radius of the Máximo et al. instances (metres); coverage must use exactly this value.
EARTH_RADIUS_M = 6_378_100.0

#: Proven optima listed in the shared README for Lorena's SJC instances: (n, S, p) -> covered demand.
SJC_OPTIMA = {(818, 800, 10): 28838.0, (818, 1200, 5): 28513.0}

#: Coverage radius of each Máximo city instance (metres), as in its optima file names.
MAXIMO_RADIUS = {"NewYork": 400, "Bronx": 600, "Kings": 800, "SanFrancisco": 600}

#: Side of the generated square (metres) and coverage radius of the generated covering instances.
SIDE_M = 20_000.0
RADIUS_M = 1_000.0

#: Families of generated covering instances (bench/siting.py section f): coverage radius (metres, straight-line;
#: network distance for "road"), demand points per km2 for the families whose square grows with the demand, and
#: the street network's block length.
FAMILY_RADIUS_M = {"clustered": 500.0, "uniform": 500.0, "road": 1_000.0, "small-clusters": 500.0}
DEMAND_PER_KM2 = 125.0
BLOCK_M = 100.0


# --------------------------------------------------------------------------------------------------------------
# OR-Library p-median
# --------------------------------------------------------------------------------------------------------------


def pmed_optima() -> dict[int, float]:
    """Published optimum of each OR-Library instance, keyed by its number (``pmedopt.txt``)."""
    optima = {}
    for line in (DATA / "orlib-pmed" / "pmedopt.txt").read_text().splitlines():
        found = re.match(r"\s*pmed(\d+)\s+(\d+)", line)
        if found:
            optima[int(found.group(1))] = float(found.group(2))
    return optima


def load_pmed(k: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """OR-Library ``pmed{k}``: dense all-pairs shortest-path costs, unit weights, ``p`` and the optimum.

    A later edge line for the same (unordered) pair overwrites an earlier one.
    """
    tokens = (DATA / "orlib-pmed" / f"pmed{k}.txt").read_text().split()
    n, m, p = (int(t) for t in tokens[:3])
    edges = np.asarray(tokens[3 : 3 + 3 * m], dtype=np.int64).reshape(m, 3)
    a = np.minimum(edges[:, 0], edges[:, 1]) - 1
    b = np.maximum(edges[:, 0], edges[:, 1]) - 1
    graph = np.full((n, n), np.inf)
    graph[a, b] = edges[:, 2]  # numpy assigns in order: the last line for a pair wins
    graph[b, a] = graph[a, b]
    np.fill_diagonal(graph, 0.0)
    cost = shortest_path(_dense_graph(graph), method="D", directed=False)
    if not np.isfinite(cost).all():
        raise ValueError(f"pmed{k}: the graph is not connected")
    meta = {"name": f"pmed{k}", "candidates": n, "demand": n, "p": p, "edges": m,
            "optimum": pmed_optima().get(k)}  # fmt: skip
    return cost, np.ones(n), meta


def _dense_graph(graph: np.ndarray) -> sp.csr_array:
    """Sparse graph of the finite off-diagonal entries (every OR-Library cost is positive)."""
    rows, cols = np.nonzero(np.isfinite(graph) & ~np.eye(len(graph), dtype=bool))
    return sp.csr_array((graph[rows, cols], (rows, cols)), shape=graph.shape)


# --------------------------------------------------------------------------------------------------------------
# Máximo, Cordeau & Nascimento (2023) city MCLP instances
# --------------------------------------------------------------------------------------------------------------


def read_maximo(city: str) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes/longitudes (degrees, shape (n, 2)) and demand weights of a Máximo city instance."""
    lines = (DATA / "mclp-maximo2023" / "instances" / f"{city}.txt").read_text().splitlines()
    header = {}
    coords, demand, section = [], [], None
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("NODE_COORD_SECTION"):
            section = coords
        elif line.startswith("DEMAND_SECTION"):
            section = demand
        elif line.startswith("EOF"):
            break
        elif section is None:
            key, _, value = line.partition(":")
            header[key.strip()] = value.strip()
        else:
            section.append([float(v) for v in line.split()])
    latlon = np.asarray(coords, dtype=float)
    weights = np.asarray(demand, dtype=float).ravel()
    n = int(header["DIMENSION"])
    if latlon.shape != (n, 2) or len(weights) != n:
        raise ValueError(f"{city}: expected {n} nodes, read {latlon.shape[0]} coordinates and {len(weights)} demands")
    return latlon, weights


def great_circle(latlon_a: np.ndarray, latlon_b: np.ndarray) -> np.ndarray:
    """Spherical-law-of-cosines distances (metres), R = 6,378,100 m, cosine clipped to [-1, 1]."""
    lat_a, lon_a = np.radians(latlon_a[:, 0])[:, None], np.radians(latlon_a[:, 1])[:, None]
    lat_b, lon_b = np.radians(latlon_b[:, 0])[None, :], np.radians(latlon_b[:, 1])[None, :]
    cosine = np.sin(lat_a) * np.sin(lat_b) + np.cos(lat_a) * np.cos(lat_b) * np.cos(lon_b - lon_a)
    return EARTH_RADIUS_M * np.arccos(np.clip(cosine, -1.0, 1.0))


def maximo_optimum(city: str, p: int, radius: int | None = None) -> tuple[float | None, np.ndarray | None]:
    """Published optimum ``f`` and chosen sites (0-based) for ``city``, ``p`` sites; (None, None) if not listed."""
    radius = MAXIMO_RADIUS[city] if radius is None else radius
    path = DATA / "mclp-maximo2023" / "optima" / f"{city}_{p}_{radius}.txt"
    if not path.exists():
        return None, None
    text = path.read_text()
    value = float(re.search(r"f:\s*([0-9.]+)", text).group(1))
    sites = re.search(r"Facilidade:\s*([0-9 \t]*)", text)
    chosen = np.asarray(sites.group(1).split(), dtype=np.int64) if sites else None
    return value, chosen


def load_maximo(
    city: str, p: int, radius: int | None = None, block: int = 512
) -> tuple[sp.csr_array, np.ndarray, dict]:
    """Máximo city instance: 0/1 coverage (every node is demand and candidate), demand weights, optimum.

    Coverage is built ``block`` rows at a time, so Kings (7,730 nodes) never holds a dense distance matrix.
    """
    radius = MAXIMO_RADIUS[city] if radius is None else radius
    latlon, weights = read_maximo(city)
    n = len(latlon)
    rows, cols = [], []
    for start in range(0, n, block):
        hit = great_circle(latlon[start : start + block], latlon) <= radius
        r, c = np.nonzero(hit)
        rows.append(r + start)
        cols.append(c)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    coverage = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    optimum, sites = maximo_optimum(city, p, radius)
    meta = {"name": f"{city} p={p} r={radius}", "candidates": n, "demand": n, "p": p, "radius": radius,
            "optimum": optimum, "published_sites": sites, "latlon": latlon}  # fmt: skip
    return coverage, weights, meta


# --------------------------------------------------------------------------------------------------------------
# Lorena's São José dos Campos instances
# --------------------------------------------------------------------------------------------------------------


def read_sjc(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Metric coordinates (n, 2) and demand of ``SJC{n}``."""
    folder = DATA / "mclp-sjc"
    tokens = (folder / f"SJC{n}.txt").read_text().split()
    if int(tokens[0]) != n:
        raise ValueError(f"SJC{n}.txt declares {tokens[0]} points")
    xy = np.asarray(tokens[1 : 1 + 2 * n], dtype=float).reshape(n, 2)
    demand = np.asarray((folder / f"demand-SJC{n}.dat").read_text().split()[:n], dtype=float)
    return xy, demand


def sjc_distances(xy: np.ndarray) -> np.ndarray:
    """Dense Euclidean distances between the SJC points (small instances only)."""
    return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))


def load_sjc(n: int, service: float, p: int) -> tuple[sp.csr_array, np.ndarray, dict]:
    """``SJC{n}`` with Euclidean coverage ``d <= S`` (every point is demand and candidate) and the listed optimum.

    The coordinates are whole metres, so ``dx**2 + dy**2 <= S**2`` decides boundary pairs exactly.
    """
    xy, weights = read_sjc(n)
    squared = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    coverage = sp.csr_array((squared <= float(service) ** 2).astype(float))
    meta = {"name": f"SJC{n} S={service:g} p={p}", "candidates": n, "demand": n, "p": p, "radius": service,
            "optimum": SJC_OPTIMA.get((n, int(service), p)), "xy": xy}  # fmt: skip
    return coverage, weights, meta


# --------------------------------------------------------------------------------------------------------------
# Generated instances
# --------------------------------------------------------------------------------------------------------------


def clustered_points(n: int, rng: np.random.Generator, centres: int = 30, side: float = SIDE_M) -> np.ndarray:
    """``n`` points from a Gaussian mixture of ``centres`` clusters in a ``side`` x ``side`` square (redrawn inside)."""
    centre_xy = rng.uniform(0.1 * side, 0.9 * side, size=(centres, 2))
    spread = rng.uniform(0.01 * side, 0.06 * side, size=centres)  # 200 m .. 1.2 km on the 20 km square
    share = rng.dirichlet(np.full(centres, 2.0))
    points = np.empty((0, 2))
    while len(points) < n:
        k = rng.choice(centres, size=n - len(points), p=share)
        draw = centre_xy[k] + rng.normal(size=(len(k), 2)) * spread[k, None]
        inside = ((draw >= 0) & (draw <= side)).all(axis=1)
        points = np.vstack([points, draw[inside]])
    return points


def generate_points(n_demand: int, n_candidates: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clustered demand points, their integer weights 1..10 and uniform candidate points (seeded)."""
    rng = np.random.default_rng(seed)
    demand_xy = clustered_points(n_demand, rng)
    weights = rng.integers(1, 11, size=n_demand).astype(float)
    candidate_xy = rng.uniform(0.0, SIDE_M, size=(n_candidates, 2))
    return demand_xy, weights, candidate_xy


def within(candidate_xy: np.ndarray, demand_xy: np.ndarray, radius: float) -> tuple[np.ndarray, ...]:
    """Candidate index, demand index and distance of every pair at most ``radius`` apart (cKDTree, sparse)."""
    pairs = cKDTree(candidate_xy).sparse_distance_matrix(cKDTree(demand_xy), radius, output_type="ndarray")
    return pairs["i"].astype(np.int64), pairs["j"].astype(np.int64), pairs["v"].astype(float)


def generate_mclp(
    n_demand: int, n_candidates: int, seed: int = 0, radius: float = RADIUS_M
) -> tuple[sp.csr_array, np.ndarray, dict]:
    """Generated maximal-covering instance: clustered demand (weights 1..10), uniform candidates, ``d <= radius``.

    The coverage matrix is built sparse from a cKDTree query; no dense candidates x demand array is ever formed.
    ``meta['pairs']`` keeps (candidate, demand, distance) of the covered pairs, for building other solvers' input.
    """
    demand_xy, weights, candidate_xy = generate_points(n_demand, n_candidates, seed)
    i, j, d = within(candidate_xy, demand_xy, radius)
    coverage = sp.csr_array((np.ones(len(i)), (i, j)), shape=(n_candidates, n_demand))
    coverage.sum_duplicates()
    meta = {
        "name": f"generated {n_demand:,} demand x {n_candidates:,} sites",
        "candidates": n_candidates,
        "demand": n_demand,
        "radius": radius,
        "seed": seed,
        "nnz": int(coverage.nnz),
        "pairs": (i, j, d),
    }
    return coverage, weights, meta


def generate_pmedian(
    n_demand: int = 2_000, n_candidates: int = 5_000, seed: int = 0, reach: float = 3_000.0
) -> tuple[sp.csr_array, np.ndarray, dict]:
    """Generated p-median instance: Euclidean cost truncated at ``reach`` (missing = unreachable), sparse.

    Demand points with no candidate within ``reach`` get their nearest candidate as their one reachable site, so
    every demand point can be served; ``meta['patched']`` counts them.
    """
    demand_xy, weights, candidate_xy = generate_points(n_demand, n_candidates, seed)
    i, j, d = within(candidate_xy, demand_xy, reach)
    reached = np.zeros(n_demand, dtype=bool)
    reached[j] = True
    lonely = np.flatnonzero(~reached)
    if len(lonely):
        nearest_d, nearest = cKDTree(candidate_xy).query(demand_xy[lonely])
        i, j, d = np.r_[i, nearest], np.r_[j, lonely], np.r_[d, nearest_d]
    # A zero distance would read as a missing entry to anything that drops explicit zeros: keep costs positive.
    d = np.maximum(d, 1e-6)
    cost = sp.csr_array((d, (i, j)), shape=(n_candidates, n_demand))
    meta = {
        "name": f"generated p-median {n_demand:,} demand x {n_candidates:,} sites",
        "candidates": n_candidates,
        "demand": n_demand,
        "reach": reach,
        "seed": seed,
        "nnz": int(cost.nnz),
        "patched": len(lonely),
    }
    return cost, weights, meta


# --------------------------------------------------------------------------------------------------------------
# Families of generated covering instances (peers side by side)
# --------------------------------------------------------------------------------------------------------------


def generate_family(
    family: str, n_demand: int, n_candidates: int, seed: int = 0
) -> tuple[sp.csr_array, np.ndarray, dict]:
    """A generated maximal-covering instance of one of :data:`FAMILIES`, seeded and built sparse.

    Returns ``(coverage, weights, meta)`` as :func:`generate_mclp` does: ``coverage`` is candidates x demand 0/1,
    ``meta['pairs']`` holds (candidate, demand, distance) of every covered pair and ``meta['radius']`` the cutoff,
    so that another solver's input (spopt's cost matrix) gives exactly the same coverage.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown instance family {family!r}; choose one of {', '.join(FAMILIES)}")
    rng = np.random.default_rng(seed)
    radius = FAMILY_RADIUS_M[family]
    (i, j, d), weights, about = FAMILIES[family](n_demand, n_candidates, rng, radius)
    coverage = sp.csr_array((np.ones(len(i)), (i, j)), shape=(n_candidates, n_demand))
    coverage.sum_duplicates()
    meta = {
        "name": f"{family} {n_candidates:,} x {n_demand:,} s{seed}",
        "family": family,
        "candidates": n_candidates,
        "demand": n_demand,
        "radius": radius,
        "seed": seed,
        "nnz": int(coverage.nnz),
        "pairs": (i, j, d),
        "integer_weights": bool(np.all(weights == np.round(weights))),
        **about,
    }
    return coverage, weights, meta


def _side_for(n_demand: int) -> float:
    """Side (metres) of the square holding ``n_demand`` points at :data:`DEMAND_PER_KM2`."""
    return 1_000.0 * float(np.sqrt(n_demand / DEMAND_PER_KM2))


def _clustered_family(n_demand: int, n_candidates: int, rng: np.random.Generator, radius: float) -> tuple:
    """6-30 Gaussian clusters of demand, heavy-tailed (lognormal) whole-worker weights; candidates half near demand
    points (jittered 200 m), half uniform."""
    side = _side_for(n_demand)
    centres = int(rng.integers(6, 31))
    demand_xy = clustered_points(n_demand, rng, centres=centres, side=side)
    weights = np.ceil(rng.lognormal(mean=0.5, sigma=1.2, size=n_demand))
    near = n_candidates // 2
    anchor = demand_xy[rng.integers(0, n_demand, size=near)]
    candidate_xy = np.vstack([
        np.clip(anchor + rng.normal(scale=200.0, size=anchor.shape), 0.0, side),
        rng.uniform(0.0, side, size=(n_candidates - near, 2)),
    ])  # fmt: skip
    return within(candidate_xy, demand_xy, radius), weights, {"side_m": side, "clusters": centres}


def _uniform_family(n_demand: int, n_candidates: int, rng: np.random.Generator, radius: float) -> tuple:
    """Uniform demand and candidates in a square sized to the demand, integer weights 1..10."""
    side = _side_for(n_demand)
    demand_xy = rng.uniform(0.0, side, size=(n_demand, 2))
    weights = rng.integers(1, 11, size=n_demand).astype(float)
    candidate_xy = rng.uniform(0.0, side, size=(n_candidates, 2))
    return within(candidate_xy, demand_xy, radius), weights, {"side_m": side}


def _small_clusters_family(n_demand: int, n_candidates: int, rng: np.random.Generator, radius: float) -> tuple:
    """Hundreds (200-600) of tight clusters (30-150 m) over the 20 km square, gamma weights in hundredths;
    candidates 70% near a cluster centre (within about three spreads), 30% uniform."""
    clusters = int(rng.integers(200, 601))
    centre_xy = rng.uniform(0.05 * SIDE_M, 0.95 * SIDE_M, size=(clusters, 2))
    spread = rng.uniform(30.0, 150.0, size=clusters)
    share = rng.dirichlet(np.ones(clusters))
    k = rng.choice(clusters, size=n_demand, p=share)
    demand_xy = np.clip(centre_xy[k] + rng.normal(size=(n_demand, 2)) * spread[k, None], 0.0, SIDE_M)
    weights = np.maximum(np.round(rng.gamma(shape=0.6, scale=8.0, size=n_demand), 2), 0.01)
    near = int(0.7 * n_candidates)
    c = rng.integers(0, clusters, size=near)
    candidate_xy = np.vstack([
        np.clip(centre_xy[c] + rng.normal(size=(near, 2)) * 3.0 * spread[c, None], 0.0, SIDE_M),
        rng.uniform(0.0, SIDE_M, size=(n_candidates - near, 2)),
    ])  # fmt: skip
    return within(candidate_xy, demand_xy, radius), weights, {"side_m": SIDE_M, "clusters": clusters}


def street_grid(n_nodes: int, rng: np.random.Generator, block: float = BLOCK_M, drop: float = 0.12) -> tuple:
    """A perturbed street grid with at least ``n_nodes`` connected intersections.

    Intersections sit on a ``block``-metre grid jittered by 15% of a block; streets join grid neighbours with the
    straight length stretched by 0-15% (bends), and ``drop`` of them are removed (dead ends, superblocks, rivers).
    Returns the symmetric sparse graph of street lengths (metres) restricted to its largest connected component, and
    the intersections' coordinates.
    """
    side = int(np.ceil(np.sqrt(n_nodes / (1.0 - drop))))
    while True:
        ids = np.arange(side * side).reshape(side, side)
        xy = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), axis=-1).reshape(-1, 2) * block
        xy = xy + rng.normal(scale=0.15 * block, size=xy.shape)
        a = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
        b = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
        keep = rng.random(len(a)) >= drop
        a, b = a[keep], b[keep]
        length = np.hypot(*(xy[a] - xy[b]).T) * rng.uniform(1.0, 1.15, size=len(a))
        graph = sp.csr_array((np.r_[length, length], (np.r_[a, b], np.r_[b, a])), shape=(len(xy), len(xy)))
        _, label = connected_components(graph, directed=False)
        largest = np.flatnonzero(label == np.bincount(label).argmax())
        if len(largest) >= n_nodes:
            return graph[largest][:, largest].tocsr(), xy[largest]
        side += 1


def network_within(
    graph: sp.csr_array, sources: np.ndarray, targets: np.ndarray, cutoff: float, cells: int = 20_000_000
) -> tuple[np.ndarray, ...]:
    """(source index, target index, network distance) of every pair at most ``cutoff`` apart along ``graph``.

    Dijkstra with ``limit=cutoff`` runs for a block of sources at a time, so that no more than about ``cells``
    distances are held at once (never sources x targets).
    """
    block = max(1, cells // graph.shape[0])
    found = []
    for start in range(0, len(sources), block):
        dist = dijkstra(graph, directed=False, indices=sources[start : start + block], limit=cutoff)[:, targets]
        r, c = np.nonzero(np.isfinite(dist))
        found.append((r + start, c, dist[r, c]))
    return tuple(np.concatenate([part[k] for part in found]) for k in range(3))


def _road_family(n_demand: int, n_candidates: int, rng: np.random.Generator, radius: float) -> tuple:
    """Demand and candidates at intersections of a perturbed street grid (:func:`street_grid`), coverage by
    network distance ``<= radius`` (Dijkstra with a cutoff); overdispersed integer weights (1 + negative binomial,
    mean 10)."""
    graph, _ = street_grid(max(int(1.25 * n_demand), n_candidates), rng)
    n_nodes = graph.shape[0]
    demand_nodes = np.sort(rng.choice(n_nodes, size=n_demand, replace=False))
    candidate_nodes = np.sort(rng.choice(n_nodes, size=n_candidates, replace=False))
    weights = 1.0 + rng.negative_binomial(1, 0.1, size=n_demand)
    i, j, d = network_within(graph, candidate_nodes, demand_nodes, radius)
    about = {"nodes": n_nodes, "streets": graph.nnz // 2}
    return (i.astype(np.int64), j.astype(np.int64), d.astype(float)), weights.astype(float), about


#: Generators of the covering families, by name: each takes (n_demand, n_candidates, rng, radius).
FAMILIES = {
    "clustered": _clustered_family,
    "uniform": _uniform_family,
    "road": _road_family,
    "small-clusters": _small_clusters_family,
}


# --------------------------------------------------------------------------------------------------------------
# Evaluation shared by every solver
# --------------------------------------------------------------------------------------------------------------


def covered_weight(coverage: sp.csr_array, weights: np.ndarray, selected: np.ndarray) -> float:
    """Demand weight covered by ``selected`` candidates."""
    hit = np.zeros(coverage.shape[0])
    hit[np.asarray(selected, dtype=np.int64)] = 1.0
    return float(weights[(sp.csr_array(coverage).T @ hit) > 0].sum())


def pmedian_cost(cost: np.ndarray | sp.sparray, weights: np.ndarray, selected: np.ndarray) -> float:
    """Weighted distance of serving each demand point from its nearest selected candidate (inf if one cannot be)."""
    rows = np.asarray(selected, dtype=np.int64)
    if sp.issparse(cost):
        sub = sp.csr_array(cost)[rows].tocsc()
        best = np.full(sub.shape[1], np.inf)
        for col in range(sub.shape[1]):
            values = sub.data[sub.indptr[col] : sub.indptr[col + 1]]
            if len(values):
                best[col] = values.min()
    else:
        best = np.asarray(cost)[rows].min(axis=0)
    return float(np.dot(weights, best))
