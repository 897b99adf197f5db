"""Public-health surveillance's standard outbreak detectors, implemented from their papers
for ``scripts/eval_surge.py`` (side by side with GridCommand's detector on the same count
matrix; not used by the product).

- **EARS C2** (Hutwagner et al. 2003, "The bioterrorism preparedness and response Early
  Aberration Reporting System (EARS)", J Urban Health 80:i89; R ``surveillance::earsC``,
  method "C2"): the mean and standard deviation of the 7 days ending 3 days before the day
  tested (a 2-day guard band); alarm when (y − mean) / sd > 3 (``minSigma`` 0: with sd 0
  any count above the mean alarms).
- **Improved Farrington** (Noufaily et al. 2012, "An improved algorithm for outbreak
  detection in multiple surveillance systems", Stat Med 32:1206; R
  ``surveillance::farringtonFlexible`` with ``noPeriods = 10``, ``pastWeeksNotIncluded =
  26``, ``weightsThreshold = 2.58``, ``thresholdMethod = "nbPlugin"``, ``limit54``): a
  quasi-Poisson log-linear model with a linear trend and a 10-level seasonal factor (the
  ±w window around the same date in each of the b past years is one level, the rest of each
  year nine equal levels), fitted on the b years before the day tested, leaving out the
  last 26 weeks (here 182 days); Anscombe residuals above 2.58 down-weighted (s⁻², weights
  rescaled to sum to n) and the model refitted; the trend dropped unless significant at 5 %
  and its prediction not above the reference data's maximum; the upper bound is the
  (1 − α) quantile of a negative binomial with the predicted mean and dispersion φ (Poisson
  when φ ≤ 1); alarm when y > bound and at least 5 cases in the last 4 time points.
  Applied to daily counts with b = 2 years (the demo holds three), w = 14 days, α = 0.01.

Both work on a matrix ``y`` of cells × days (float) and test day index ``d``, all cells at
once (Farrington's IRLS is batched over cells: one design per day).
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def ears_c2(y: np.ndarray, d: int, threshold: float = 3.0, min_sigma: float = 0.0
            ) -> np.ndarray:
    """EARS C2 alarms (bool per cell) on day index ``d``."""
    base = y[:, d - 9:d - 2]
    mu = base.mean(1)
    sd = np.maximum(base.std(1, ddof=1), min_sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        c2 = (y[:, d] - mu) / sd
    c2 = np.where(sd > 0, c2, np.where(y[:, d] > mu, np.inf, 0.0))
    return c2 > threshold


def _periods(offsets: np.ndarray, w: int, n_periods: int = 10) -> np.ndarray:
    """Seasonal level (0 … n_periods − 1) of reference days ``offsets`` days before t0."""
    r = np.mod(offsets, 365)
    inwin = (r <= w) | (r >= 365 - w)
    # the rest of the year, (w, 365 − w), in n_periods − 1 equal parts
    span = 365 - 2 * w - 1
    part = 1 + np.minimum(((r - w - 1) * (n_periods - 1)) // max(span, 1), n_periods - 2)
    return np.where(inwin, 0, part)


def _irls(x: np.ndarray, y: np.ndarray, prior: np.ndarray, iters: int = 30) -> np.ndarray:
    """Poisson log-link fits of every row of ``y`` (cells × n) on design ``x`` (n × p) with
    prior weights ``prior`` (cells × n); batched, the products through BLAS."""
    n, p = x.shape
    zz = (x[:, :, None] * x[:, None, :]).reshape(n, p * p)
    beta = np.zeros((y.shape[0], p))
    beta[:, 0] = np.log(np.maximum((prior * y).sum(1) / prior.sum(1), 1e-3))
    ridge = 1e-6 * np.eye(p)
    for _ in range(iters):
        eta = np.clip(beta @ x.T, -20, 20)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        wt = prior * mu
        a = (wt @ zz).reshape(-1, p, p) + ridge
        b = (wt * z) @ x
        new = np.linalg.solve(a, b[:, :, None])[:, :, 0]
        if np.max(np.abs(new - beta)) < 1e-6:
            beta = new
            break
        beta = new
    return beta


def _fit(x, y, prior):
    """One quasi-Poisson fit: coefficients, fitted means, dispersion, covariance."""
    n, p = x.shape
    beta = _irls(x, y, prior)
    mu = np.exp(np.clip(beta @ x.T, -20, 20))
    phi = np.maximum(1.0, (prior * (y - mu) ** 2 / mu).sum(1) / max(n - p, 1))
    zz = (x[:, :, None] * x[:, None, :]).reshape(n, p * p)
    info = ((prior * mu) @ zz).reshape(-1, p, p) + 1e-6 * np.eye(p)
    cov = np.linalg.inv(info) * phi[:, None, None]
    return beta, mu, phi, cov


def farrington_flexible(y: np.ndarray, d: int, b: int = 2, w: int = 14,
                        alpha: float = 0.01, past_not_included: int = 182,
                        n_periods: int = 10, weights_threshold: float = 2.58
                        ) -> np.ndarray:
    """Improved Farrington alarms (bool per cell) on day index ``d`` of ``y``."""
    first = d - b * 365 - w
    last = d - past_not_included - 1
    if first < 0:
        raise ValueError(f"Farrington needs {b} years and {w} days before the day tested")
    ref = np.arange(first, last + 1)
    offsets = d - ref
    per = _periods(offsets, w, n_periods)
    t = (ref - d) / 365.0
    dummies = (per[:, None] == np.arange(1, n_periods)[None, :]).astype(float)
    x_full = np.column_stack([np.ones(len(ref)), t, dummies])
    x_notrend = np.column_stack([np.ones(len(ref)), dummies])
    yr = y[:, ref]
    n = len(ref)
    out = np.zeros(y.shape[0], bool)
    mu0 = np.zeros(y.shape[0])
    phi_used = np.ones(y.shape[0])
    active = yr.sum(1) > 0
    if not active.any():
        return out
    ya = yr[active]
    results = {}
    for name, x in (("trend", x_full), ("flat", x_notrend)):
        p = x.shape[1]
        prior = np.ones_like(ya)
        beta, mu, phi, cov = _fit(x, ya, prior)
        # Anscombe residuals, standardised with the hat values
        inv = np.linalg.inv(((prior * mu) @ (x[:, :, None] * x[:, None, :]).reshape(n, p * p))
                            .reshape(-1, p, p) + 1e-6 * np.eye(p))
        h = mu * (np.matmul(x[None], inv) * x[None]).sum(-1)
        ra = 1.5 * (np.cbrt(ya ** 2) - np.cbrt(mu ** 2)) / np.power(mu, 1 / 6)
        s = ra / np.sqrt(phi[:, None] * np.clip(1 - h, 1e-6, None))
        with np.errstate(divide="ignore"):
            wts = np.where(s > weights_threshold, 1.0 / np.maximum(s, 1e-12) ** 2, 1.0)
        wts *= n / wts.sum(1, keepdims=True)
        beta, mu, phi, cov = _fit(x, ya, wts)
        x0 = np.zeros(p)
        x0[0] = 1.0  # t = 0, seasonal level 0
        results[name] = (beta, phi, cov, np.exp(np.clip(beta @ x0, -20, 20)))
    b_t, phi_t, cov_t, mu_t = results["trend"]
    _, phi_f, _, mu_f = results["flat"]
    z = b_t[:, 1] / np.sqrt(np.maximum(cov_t[:, 1, 1], 1e-12))
    keep = (2 * stats.norm.sf(np.abs(z)) < 0.05) & (mu_t <= ya.max(1))
    mu0[active] = np.where(keep, mu_t, mu_f)
    phi_used[active] = np.where(keep, phi_t, phi_f)
    nb = (phi_used > 1) & (mu0 > 0)
    size = np.where(nb, mu0 / np.maximum(phi_used - 1, 1e-12), 1.0)
    bound = np.where(nb, stats.nbinom.ppf(1 - alpha, size, size / (size + np.maximum(mu0, 1e-12))),
                     stats.poisson.ppf(1 - alpha, mu0))
    limit54 = y[:, d - 3:d + 1].sum(1) >= 5
    out = (y[:, d] > bound) & limit54 & (mu0 > 0)
    return out


__all__ = ["ears_c2", "farrington_flexible"]
