"""The command line both probes share (``jena_probe``, ``imdb_probe``): training seed, threads, JSON output."""
import json

from .cpu_settings import set_threads


def run(parser, argv, probe, report) -> dict:
    """Add the shared options to ``parser``, parse ``argv``, run ``probe(args)``, print ``report(result)``,
    save the result as JSON if asked; return it."""
    parser.add_argument("--training-seed", type=int, default=0, help="keras.utils.set_random_seed before training")
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow threads (1: two probes share 2 cores)")
    parser.add_argument("--json", help="also write the curves to this file")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    result = probe(args)
    print(report(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f)
    return result
