"""Benchmark of the WestGear data generator: products (and variants) per second, as a stream."""

from __future__ import annotations

import argparse
import json
import resource
import time

from westgear_desk.sandbox.seed import generate_catalog


def run(products: int, variants: int | None, broken_share: float) -> dict[str, float]:
    """Time generating `products` products (streamed, nothing kept); report throughput and RSS."""
    started = time.perf_counter()
    count = 0
    n_variants = 0
    for product in generate_catalog(42, products, broken_share, variants_per_product=variants):
        count += 1
        n_variants += len(product.variants)
    elapsed = time.perf_counter() - started
    return {
        "products": count,
        "variants": n_variants,
        "seconds": round(elapsed, 3),
        "products_per_s": round(count / elapsed),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--variants", type=int, default=4)
    parser.add_argument("--broken-share", type=float, default=0.02)
    args = parser.parse_args()
    small = run(args.products // 10, args.variants, args.broken_share)
    full = run(args.products, args.variants, args.broken_share)
    ratio = full["seconds"] / max(small["seconds"] * 10, 1e-9)
    print(json.dumps(small))
    print(
        json.dumps(
            {**full, "linearity_vs_tenth": round(ratio, 2), "under_30s": full["seconds"] < 30}
        )
    )


if __name__ == "__main__":
    main()
